#include "operator/api/names.hpp"
#include "operator/specs/metadata.hpp"
#include "operator/specs/secrets.hpp"
#include "operator/specs/workload.hpp"

namespace tenant::specs {

using nlohmann::json;

namespace {

json EnvFromSecret(const std::string& name, const std::string& secret, const std::string& key, bool optional = false) {
  json ref{{"name", secret}, {"key", key}};
  if (optional) ref["optional"] = true;
  return json{{"name", name}, {"valueFrom", {{"secretKeyRef", ref}}}};
}

json EnvValue(const std::string& name, const std::string& value) { return json{{"name", name}, {"value", value}}; }

std::string JoinComma(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& i : items) out += (out.empty() ? "" : ",") + i;
  return out;
}

json Env(const api::Tenant& t, const ApiSettings& s, const DeploymentInputs& in) {
  const std::string db_secret = api::DbSecretName(t.metadata.name);
  json env = json::array();
  env.push_back(EnvFromSecret("DATABASE_URL", db_secret, "uri"));
  env.push_back(EnvFromSecret("DB_SSL_MODE", db_secret, "sslmode"));
  // libpq reads PGSSLROOTCERT for parameters the URI does not carry.
  if (in.database_has_ca) env.push_back(EnvValue("PGSSLROOTCERT", std::string(kCaMountPath) + "/ca.crt"));
  env.push_back(EnvFromSecret("JWT_SIGNING_KEY", api::ApiSecretName(t.metadata.name), kJwtKey));
  if (!s.redis_secret_name.empty()) env.push_back(EnvFromSecret("REDIS_URL", s.redis_secret_name, s.redis_secret_key));
  env.push_back(EnvValue("TENANT_ID", t.spec.tenant_id));
  env.push_back(EnvValue("ENVIRONMENT", "production"));
  env.push_back(EnvValue("PORT", std::to_string(kApiContainerPort)));
  // spec.api.rateLimit is the per-client budget of ordinary reads and writes; tenant-api's
  // auth and login classes keep their own stricter defaults.
  const std::string per_minute = std::to_string(t.spec.api.requests_per_minute);
  env.push_back(EnvValue("RATE_LIMIT_READ_PER_MINUTE", per_minute));
  env.push_back(EnvValue("RATE_LIMIT_WRITE_PER_MINUTE", per_minute));
  if (!t.spec.api.cors_origins.empty()) env.push_back(EnvValue("CORS_ORIGINS", JoinComma(t.spec.api.cors_origins)));
  if (!s.sentry_secret_name.empty()) {
    env.push_back(EnvFromSecret("SENTRY_DSN", s.sentry_secret_name, s.sentry_secret_key, /*optional=*/true));
  }
  return env;
}

json Probe(const std::string& path, int period, int failures) {
  return json{{"httpGet", {{"path", path}, {"port", "http"}}},
              {"periodSeconds", period},
              {"timeoutSeconds", 2},
              {"failureThreshold", failures}};
}

}  // namespace

json DefaultResources() {
  return json{{"requests", {{"cpu", "100m"}, {"memory", "128Mi"}}}, {"limits", {{"memory", "256Mi"}}}};
}

json BuildDeployment(const api::Tenant& t, const ApiSettings& s, const DeploymentInputs& in) {
  const std::string name = api::ApiName(t.metadata.name);
  json resources = t.spec.api.resources.is_object() && !t.spec.api.resources.empty() ? t.spec.api.resources
                                                                                    : DefaultResources();
  json container{
      {"name", "api"},
      {"image", t.spec.api.image.value_or(s.default_image)},
      {"imagePullPolicy", s.image_pull_policy},
      {"ports", json::array({{{"name", "http"}, {"containerPort", kApiContainerPort}, {"protocol", "TCP"}}})},
      {"env", Env(t, s, in)},
      {"resources", resources},
      {"livenessProbe", Probe("/health/live", 10, 3)},
      {"readinessProbe", Probe("/health/ready", 5, 3)},
      // Pod Security "restricted" (container level).
      {"securityContext",
       {{"allowPrivilegeEscalation", false},
        {"readOnlyRootFilesystem", true},
        {"runAsNonRoot", true},
        {"capabilities", {{"drop", json::array({"ALL"})}}}}},
  };
  json volumes = json::array({{{"name", "tmp"}, {"emptyDir", json::object()}}});
  json mounts = json::array({{{"name", "tmp"}, {"mountPath", "/tmp"}}});
  if (in.database_has_ca) {
    volumes.push_back({{"name", "db-ca"},
                       {"secret",
                        {{"secretName", api::DbSecretName(t.metadata.name)},
                         {"items", json::array({{{"key", "ca.crt"}, {"path", "ca.crt"}}})}}}});
    mounts.push_back({{"name", "db-ca"}, {"mountPath", kCaMountPath}, {"readOnly", true}});
  }
  container["volumeMounts"] = mounts;

  json pod_meta{{"labels", Labels(t)},
                {"annotations", {{std::string(api::kCredentialsVersionAnnotation), in.credentials_version}}}};
  json pod_spec{
      {"automountServiceAccountToken", false},
      {"enableServiceLinks", false},
      {"securityContext",
       {{"runAsNonRoot", true},
        {"runAsUser", s.run_as_user},
        {"runAsGroup", s.run_as_user},
        {"fsGroup", s.run_as_user},
        {"seccompProfile", {{"type", "RuntimeDefault"}}}}},
      {"terminationGracePeriodSeconds", 30},
      {"containers", json::array({container})},
      {"volumes", volumes},
  };
  json spec{
      {"selector", {{"matchLabels", SelectorLabels(t)}}},
      // Never fewer ready pods than wanted during a roll (credential rotation included).
      {"strategy", {{"type", "RollingUpdate"}, {"rollingUpdate", {{"maxUnavailable", 0}, {"maxSurge", 1}}}}},
      {"revisionHistoryLimit", 3},
      {"template", {{"metadata", pod_meta}, {"spec", pod_spec}}},
  };
  // With an HPA the replica count is its field: omitting it releases our ownership under
  // server-side apply, so the two never fight.
  if (!t.spec.api.autoscaling) spec["replicas"] = t.spec.api.replicas;
  return json{{"apiVersion", "apps/v1"}, {"kind", "Deployment"}, {"metadata", ObjectMeta(t, name)}, {"spec", spec}};
}

}  // namespace tenant::specs
