#pragma once
// Tenant (tenancy.erp.dev/v1alpha1) as C++ values <-> JSON. Pure. Parsing applies the same
// defaults as the CRD schema, so an object stored before a default existed (or applied
// with validation off) behaves identically; the operator never writes these defaults back
// into spec (GitOps tools would show drift).
#include <chrono>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "operator/api/condition.hpp"

namespace tenant::api {

// Thrown when an object does not have the shape the CRD promises (wrong JSON types,
// invalid tenantId). The controller reports it as Stalled (a spec problem, not retried).
class InvalidObject : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

enum class DeletionPolicy { kRetain, kDelete };
std::string_view DeletionPolicyName(DeletionPolicy p);

struct ObjectMeta {
  std::string name;
  std::string namespace_;
  std::string uid;
  std::string resource_version;
  long long generation = 0;
  std::map<std::string, std::string> labels;
  std::map<std::string, std::string> annotations;
  std::vector<std::string> finalizers;
  std::optional<std::string> deletion_timestamp;
  std::string creation_timestamp;
};
ObjectMeta ParseObjectMeta(const nlohmann::json& obj);

struct LabelRequirement {
  std::string key;
  std::string op;  // In, NotIn, Exists, DoesNotExist
  std::vector<std::string> values;
  bool operator==(const LabelRequirement&) const = default;
};

struct ServerSelector {
  std::map<std::string, std::string> match_labels;
  std::vector<LabelRequirement> match_expressions;
  // The string form understood by kube::LabelSelector::Parse ("" matches everything).
  std::string ToSelectorString() const;
  bool operator==(const ServerSelector&) const = default;
};

struct TenantDatabaseSpec {
  std::optional<std::string> server_ref;
  std::optional<ServerSelector> server_selector;
  std::optional<int> schema_version;  // nullopt = newest bundled migration
  bool allow_downgrade = false;
  int connection_limit = 50;
  DeletionPolicy deletion_policy = DeletionPolicy::kRetain;
};

struct CredentialsSpec {
  std::optional<std::chrono::milliseconds> rotation_period;
};

struct AutoscalingSpec {
  int min_replicas = 2;
  int max_replicas = 10;
  int target_cpu_utilization = 70;
};

struct ApiSpec {
  std::optional<std::string> image;  // nullopt = operator default
  int replicas = 2;
  nlohmann::json resources;          // corev1.ResourceRequirements; null = defaults
  std::optional<AutoscalingSpec> autoscaling;
  int requests_per_minute = 600;
  std::vector<std::string> cors_origins;
};

struct TenantSpec {
  std::string tenant_id;
  std::string display_name;
  TenantDatabaseSpec database;
  CredentialsSpec credentials;
  ApiSpec api;
  bool prevent_deletion = false;
  bool suspend = false;
};

struct TenantDatabaseStatus {
  std::string server;
  std::string name;
  std::optional<int> schema_version;
  bool operator==(const TenantDatabaseStatus&) const = default;
};

struct TenantCredentialsStatus {
  std::string secret_name;
  std::string active_role;
  std::string rotated_at;
  bool operator==(const TenantCredentialsStatus&) const = default;
};

struct TenantApiStatus {
  std::string deployment;
  std::string service;
  std::optional<int> replicas;
  std::optional<int> ready_replicas;
  bool operator==(const TenantApiStatus&) const = default;
};

struct TenantStatus {
  long long observed_generation = 0;
  std::vector<Condition> conditions;
  TenantDatabaseStatus database;
  TenantCredentialsStatus credentials;
  TenantApiStatus api;
  bool operator==(const TenantStatus&) const = default;
};

struct Tenant {
  ObjectMeta metadata;
  TenantSpec spec;
  TenantStatus status;
};

// Throws InvalidObject with a message naming the field.
Tenant ParseTenant(const nlohmann::json& obj);
TenantSpec ParseTenantSpec(const nlohmann::json& spec);
TenantStatus ParseTenantStatus(const nlohmann::json& status);
// Only set fields are written (empty strings and nullopt are omitted).
nlohmann::json ToJson(const TenantStatus& status);

}  // namespace tenant::api
