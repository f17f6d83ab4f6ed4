#include "operator/api/names.hpp"
#include "operator/specs/metadata.hpp"
#include "operator/specs/workload.hpp"

namespace tenant::specs {

using nlohmann::json;

json BuildService(const api::Tenant& t) {
  json spec{{"type", "ClusterIP"},
            {"selector", SelectorLabels(t)},
            {"ports", json::array({{{"name", "http"}, {"port", 80}, {"targetPort", "http"}, {"protocol", "TCP"}}})}};
  return json{{"apiVersion", "v1"},
              {"kind", "Service"},
              {"metadata", ObjectMeta(t, api::ApiName(t.metadata.name))},
              {"spec", spec}};
}

std::optional<json> BuildPodDisruptionBudget(const api::Tenant& t) {
  int wanted = t.spec.api.autoscaling ? t.spec.api.autoscaling->min_replicas : t.spec.api.replicas;
  if (wanted <= 1) return std::nullopt;  // a PDB on one pod would block node drains forever
  json spec{{"maxUnavailable", 1}, {"selector", {{"matchLabels", SelectorLabels(t)}}}};
  return json{{"apiVersion", "policy/v1"},
              {"kind", "PodDisruptionBudget"},
              {"metadata", ObjectMeta(t, api::ApiName(t.metadata.name))},
              {"spec", spec}};
}

std::optional<json> BuildHorizontalPodAutoscaler(const api::Tenant& t) {
  if (!t.spec.api.autoscaling) return std::nullopt;
  const auto& a = *t.spec.api.autoscaling;
  json metric{{"type", "Resource"},
              {"resource",
               {{"name", "cpu"}, {"target", {{"type", "Utilization"}, {"averageUtilization", a.target_cpu_utilization}}}}}};
  json spec{{"scaleTargetRef", {{"apiVersion", "apps/v1"}, {"kind", "Deployment"}, {"name", api::ApiName(t.metadata.name)}}},
            {"minReplicas", a.min_replicas},
            {"maxReplicas", a.max_replicas},
            {"metrics", json::array({metric})}};
  return json{{"apiVersion", "autoscaling/v2"},
              {"kind", "HorizontalPodAutoscaler"},
              {"metadata", ObjectMeta(t, api::ApiName(t.metadata.name))},
              {"spec", spec}};
}

json BuildNetworkPolicy(const api::Tenant& t, const ApiSettings& s, const DeploymentInputs& in) {
  auto port = [](int p, const char* proto) { return json{{"port", p}, {"protocol", proto}}; };
  // Ingress: only the API port. Egress: DNS, the database and Redis ports (a database
  // host name cannot be expressed as a peer, so the rules are port-scoped).
  json egress = json::array({
      {{"ports", json::array({port(53, "UDP"), port(53, "TCP")})}},
      {{"ports", json::array({port(in.database_port, "TCP")})}},
  });
  if (!s.redis_secret_name.empty()) egress.push_back({{"ports", json::array({port(s.redis_port, "TCP")})}});
  json spec{{"podSelector", {{"matchLabels", SelectorLabels(t)}}},
            {"policyTypes", json::array({"Ingress", "Egress"})},
            {"ingress", json::array({{{"ports", json::array({port(kApiContainerPort, "TCP")})}}})},
            {"egress", egress}};
  return json{{"apiVersion", "networking.k8s.io/v1"},
              {"kind", "NetworkPolicy"},
              {"metadata", ObjectMeta(t, api::ApiName(t.metadata.name))},
              {"spec", spec}};
}

}  // namespace tenant::specs
