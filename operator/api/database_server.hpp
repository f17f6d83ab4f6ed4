#pragma once
// DatabaseServer (tenancy.erp.dev/v1alpha1, cluster-scoped) <-> JSON. Pure.
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "operator/api/condition.hpp"
#include "operator/api/tenant.hpp"

namespace tenant::api {

struct SecretKeyRef {
  std::string namespace_;
  std::string name;
  std::string key;
};

struct DatabaseServerSpec {
  std::string host;
  int port = 5432;
  std::string ssl_mode = "verify-full";  // disable | require | verify-ca | verify-full
  std::optional<SecretKeyRef> ca_secret_ref;      // key defaults to ca.crt
  SecretKeyRef admin_secret_ref;                  // key unused (username/password)
  std::optional<int> max_tenants;
};

struct DatabaseServerStatus {
  long long observed_generation = 0;
  std::vector<Condition> conditions;
  std::string server_version;
  std::optional<int> tenant_count;
  bool operator==(const DatabaseServerStatus&) const = default;
};

struct DatabaseServer {
  ObjectMeta metadata;
  DatabaseServerSpec spec;
  DatabaseServerStatus status;
};

// Throws InvalidObject naming the field.
DatabaseServer ParseDatabaseServer(const nlohmann::json& obj);
nlohmann::json ToJson(const DatabaseServerStatus& status);

bool IsValidSslMode(std::string_view mode);

}  // namespace tenant::api
