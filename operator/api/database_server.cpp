#include "operator/api/database_server.hpp"

#include "operator/api/json_fields.hpp"

namespace tenant::api {

using detail::OptArray;
using detail::OptInt;
using detail::OptObject;
using detail::OptString;
using nlohmann::json;

bool IsValidSslMode(std::string_view mode) {
  return mode == "disable" || mode == "require" || mode == "verify-ca" || mode == "verify-full";
}

namespace {
SecretKeyRef ParseRef(const json& ref, std::string_view path, std::string default_key) {
  SecretKeyRef r;
  r.namespace_ = OptString(ref, "namespace", path).value_or("");
  r.name = OptString(ref, "name", path).value_or("");
  r.key = OptString(ref, "key", path).value_or(std::move(default_key));
  if (r.namespace_.empty() || r.name.empty()) {
    throw InvalidObject(std::string(path) + " needs namespace and name");
  }
  return r;
}
}  // namespace

DatabaseServer ParseDatabaseServer(const json& obj) {
  DatabaseServer s;
  s.metadata = ParseObjectMeta(obj);
  const json* spec = OptObject(obj, "spec", "");
  if (spec == nullptr) throw InvalidObject("spec is required");
  auto& sp = s.spec;
  sp.host = OptString(*spec, "host", "spec").value_or("");
  if (sp.host.empty()) throw InvalidObject("spec.host is required");
  long long port = OptInt(*spec, "port", "spec").value_or(5432);
  if (port < 1 || port > 65535) throw InvalidObject("spec.port must be between 1 and 65535");
  sp.port = static_cast<int>(port);
  sp.ssl_mode = OptString(*spec, "sslMode", "spec").value_or("verify-full");
  if (!IsValidSslMode(sp.ssl_mode)) throw InvalidObject("spec.sslMode \"" + sp.ssl_mode + "\" is not supported");
  if (const json* ca = OptObject(*spec, "caSecretRef", "spec")) sp.ca_secret_ref = ParseRef(*ca, "spec.caSecretRef", "ca.crt");
  const json* admin = OptObject(*spec, "adminSecretRef", "spec");
  if (admin == nullptr) throw InvalidObject("spec.adminSecretRef is required");
  sp.admin_secret_ref = ParseRef(*admin, "spec.adminSecretRef", "");
  if (auto m = OptInt(*spec, "maxTenants", "spec")) {
    if (*m < 1) throw InvalidObject("spec.maxTenants must be at least 1");
    sp.max_tenants = static_cast<int>(*m);
  }
  if (const json* st = OptObject(obj, "status", "")) {
    s.status.observed_generation = OptInt(*st, "observedGeneration", "status").value_or(0);
    if (const json* c = OptArray(*st, "conditions", "status")) s.status.conditions = ConditionsFromJson(*c);
    s.status.server_version = OptString(*st, "serverVersion", "status").value_or("");
    if (auto n = OptInt(*st, "tenantCount", "status")) s.status.tenant_count = static_cast<int>(*n);
  }
  return s;
}

json ToJson(const DatabaseServerStatus& s) {
  json out = json::object();
  out["observedGeneration"] = s.observed_generation;
  out["conditions"] = ToJson(s.conditions);
  if (!s.server_version.empty()) out["serverVersion"] = s.server_version;
  if (s.tenant_count) out["tenantCount"] = *s.tenant_count;
  return out;
}

}  // namespace tenant::api
