#pragma once
// The tenant's API workload: Deployment, Service, PodDisruptionBudget, HPA and
// NetworkPolicy <tenant>-api. Pure functions of (Tenant, settings, observed inputs); the
// controller applies them with server-side apply and deletes the optional ones when the
// builder says they are not wanted (nullopt).
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "operator/api/tenant.hpp"
#include "operator/specs/settings.hpp"

namespace tenant::specs {

inline constexpr int kApiContainerPort = 8080;
inline constexpr const char* kCaMountPath = "/etc/tenant-db";

struct DeploymentInputs {
  std::string credentials_version;  // CredentialsVersion() of <tenant>-db
  bool database_has_ca = false;     // mount ca.crt and set PGSSLROOTCERT
  int database_port = 5432;         // (NetworkPolicy egress)
};

// Default corev1.ResourceRequirements when spec.api.resources is empty.
nlohmann::json DefaultResources();

nlohmann::json BuildDeployment(const api::Tenant& t, const ApiSettings& s, const DeploymentInputs& in);
nlohmann::json BuildService(const api::Tenant& t);
// policy/v1 PDB (maxUnavailable 1) when more than one replica is wanted, else nullopt.
std::optional<nlohmann::json> BuildPodDisruptionBudget(const api::Tenant& t);
// autoscaling/v2 HPA when spec.api.autoscaling is set, else nullopt.
std::optional<nlohmann::json> BuildHorizontalPodAutoscaler(const api::Tenant& t);
nlohmann::json BuildNetworkPolicy(const api::Tenant& t, const ApiSettings& s, const DeploymentInputs& in);

}  // namespace tenant::specs
