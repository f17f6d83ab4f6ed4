#include "operator/api/tenant.hpp"

#include "operator/api/duration.hpp"
#include "operator/api/json_fields.hpp"
#include "operator/api/names.hpp"

namespace tenant::api {

using detail::OptArray;
using detail::OptBool;
using detail::OptInt;
using detail::OptObject;
using detail::OptString;
using nlohmann::json;

std::string_view DeletionPolicyName(DeletionPolicy p) {
  return p == DeletionPolicy::kDelete ? "Delete" : "Retain";
}

namespace {

int IntInRange(const json& obj, std::string_view key, std::string_view path, int fallback, long long lo,
               long long hi) {
  auto v = OptInt(obj, key, path);
  if (!v) return fallback;
  if (*v < lo || *v > hi) {
    throw InvalidObject(std::string(path) + "." + std::string(key) + " must be between " + std::to_string(lo) +
                        " and " + std::to_string(hi));
  }
  return static_cast<int>(*v);
}

std::map<std::string, std::string> StringMap(const json& obj, std::string_view key, std::string_view path) {
  std::map<std::string, std::string> out;
  const json* m = OptObject(obj, key, path);
  if (m == nullptr) return out;
  for (const auto& [k, v] : m->items()) {
    if (!v.is_string()) throw InvalidObject(std::string(path) + "." + std::string(key) + "." + k + " must be a string");
    out[k] = v.get<std::string>();
  }
  return out;
}

std::vector<std::string> StringList(const json& obj, std::string_view key, std::string_view path) {
  std::vector<std::string> out;
  const json* a = OptArray(obj, key, path);
  if (a == nullptr) return out;
  for (const auto& v : *a) {
    if (!v.is_string()) throw InvalidObject(std::string(path) + "." + std::string(key) + " must hold strings");
    out.push_back(v.get<std::string>());
  }
  return out;
}

ServerSelector ParseSelector(const json& sel) {
  ServerSelector s;
  s.match_labels = StringMap(sel, "matchLabels", "spec.database.serverSelector");
  if (const json* exprs = OptArray(sel, "matchExpressions", "spec.database.serverSelector")) {
    for (const auto& e : *exprs) {
      LabelRequirement r;
      r.key = OptString(e, "key", "spec.database.serverSelector.matchExpressions").value_or("");
      r.op = OptString(e, "operator", "spec.database.serverSelector.matchExpressions").value_or("");
      r.values = StringList(e, "values", "spec.database.serverSelector.matchExpressions");
      if (r.key.empty()) throw InvalidObject("spec.database.serverSelector.matchExpressions[].key is required");
      if (r.op != "In" && r.op != "NotIn" && r.op != "Exists" && r.op != "DoesNotExist") {
        throw InvalidObject("spec.database.serverSelector.matchExpressions[].operator \"" + r.op + "\" is not supported");
      }
      s.match_expressions.push_back(std::move(r));
    }
  }
  return s;
}

}  // namespace

std::string ServerSelector::ToSelectorString() const {
  std::string out;
  auto add = [&out](const std::string& part) {
    if (!out.empty()) out += ",";
    out += part;
  };
  for (const auto& [k, v] : match_labels) add(k + "=" + v);
  for (const auto& r : match_expressions) {
    if (r.op == "Exists") {
      add(r.key);
    } else if (r.op == "DoesNotExist") {
      add("!" + r.key);
    } else {
      std::string values;
      for (const auto& v : r.values) values += (values.empty() ? "" : ",") + v;
      add(r.key + (r.op == "In" ? " in (" : " notin (") + values + ")");
    }
  }
  return out;
}

ObjectMeta ParseObjectMeta(const json& obj) {
  ObjectMeta m;
  const json* meta = OptObject(obj, "metadata", "");
  if (meta == nullptr) throw InvalidObject("metadata is required");
  m.name = OptString(*meta, "name", "metadata").value_or("");
  m.namespace_ = OptString(*meta, "namespace", "metadata").value_or("");
  m.uid = OptString(*meta, "uid", "metadata").value_or("");
  m.resource_version = OptString(*meta, "resourceVersion", "metadata").value_or("");
  m.generation = OptInt(*meta, "generation", "metadata").value_or(0);
  m.labels = StringMap(*meta, "labels", "metadata");
  m.annotations = StringMap(*meta, "annotations", "metadata");
  m.finalizers = StringList(*meta, "finalizers", "metadata");
  m.deletion_timestamp = OptString(*meta, "deletionTimestamp", "metadata");
  m.creation_timestamp = OptString(*meta, "creationTimestamp", "metadata").value_or("");
  return m;
}

TenantSpec ParseTenantSpec(const json& spec) {
  if (!spec.is_object()) throw InvalidObject("spec is required");
  TenantSpec s;
  s.tenant_id = OptString(spec, "tenantId", "spec").value_or("");
  if (!IsValidTenantId(s.tenant_id)) {
    throw InvalidObject("spec.tenantId \"" + s.tenant_id + "\" must match ^[a-z][a-z0-9_]{0,39}$");
  }
  s.display_name = OptString(spec, "displayName", "spec").value_or("");
  if (const json* db = OptObject(spec, "database", "spec")) {
    auto& d = s.database;
    d.server_ref = OptString(*db, "serverRef", "spec.database");
    if (d.server_ref && d.server_ref->empty()) d.server_ref.reset();
    if (const json* sel = OptObject(*db, "serverSelector", "spec.database")) d.server_selector = ParseSelector(*sel);
    if (OptInt(*db, "schemaVersion", "spec.database")) {
      d.schema_version = IntInRange(*db, "schemaVersion", "spec.database", 0, 1, 9999);
    }
    d.allow_downgrade = OptBool(*db, "allowDowngrade", "spec.database").value_or(false);
    d.connection_limit = IntInRange(*db, "connectionLimit", "spec.database", 50, 1, 10000);
    auto policy = OptString(*db, "deletionPolicy", "spec.database").value_or("Retain");
    if (policy == "Retain") {
      d.deletion_policy = DeletionPolicy::kRetain;
    } else if (policy == "Delete") {
      d.deletion_policy = DeletionPolicy::kDelete;
    } else {
      throw InvalidObject("spec.database.deletionPolicy \"" + policy + "\" must be Retain or Delete");
    }
  }
  if (const json* cred = OptObject(spec, "credentials", "spec")) {
    if (auto period = OptString(*cred, "rotationPeriod", "spec.credentials")) {
      auto parsed = ParseGoDuration(*period);
      if (!parsed || *parsed < std::chrono::hours(1)) {
        throw InvalidObject("spec.credentials.rotationPeriod \"" + *period + "\" must be a duration of at least 1h");
      }
      s.credentials.rotation_period = parsed;
    }
  }
  if (const json* api = OptObject(spec, "api", "spec")) {
    auto& a = s.api;
    a.image = OptString(*api, "image", "spec.api");
    if (a.image && a.image->empty()) a.image.reset();
    a.replicas = IntInRange(*api, "replicas", "spec.api", 2, 0, 100);
    if (const json* res = OptObject(*api, "resources", "spec.api")) a.resources = *res;
    if (const json* as = OptObject(*api, "autoscaling", "spec.api")) {
      AutoscalingSpec x;
      x.min_replicas = IntInRange(*as, "minReplicas", "spec.api.autoscaling", 2, 1, 100);
      x.max_replicas = IntInRange(*as, "maxReplicas", "spec.api.autoscaling", 10, 1, 100);
      x.target_cpu_utilization = IntInRange(*as, "targetCPUUtilizationPercentage", "spec.api.autoscaling", 70, 1, 100);
      if (x.min_replicas > x.max_replicas) throw InvalidObject("spec.api.autoscaling: minReplicas must not exceed maxReplicas");
      a.autoscaling = x;
    }
    if (const json* rl = OptObject(*api, "rateLimit", "spec.api")) {
      a.requests_per_minute = IntInRange(*rl, "requestsPerMinute", "spec.api.rateLimit", 600, 1, 1000000);
    }
    a.cors_origins = StringList(*api, "corsOrigins", "spec.api");
  }
  s.prevent_deletion = OptBool(spec, "preventDeletion", "spec").value_or(false);
  s.suspend = OptBool(spec, "suspend", "spec").value_or(false);
  return s;
}

TenantStatus ParseTenantStatus(const json& status) {
  TenantStatus s;
  if (!status.is_object()) return s;
  s.observed_generation = OptInt(status, "observedGeneration", "status").value_or(0);
  if (const json* c = OptArray(status, "conditions", "status")) {
    try {
      s.conditions = ConditionsFromJson(*c);
    } catch (const std::exception& e) {
      throw InvalidObject(std::string("status.conditions: ") + e.what());
    }
  }
  if (const json* db = OptObject(status, "database", "status")) {
    s.database.server = OptString(*db, "server", "status.database").value_or("");
    s.database.name = OptString(*db, "name", "status.database").value_or("");
    if (auto v = OptInt(*db, "schemaVersion", "status.database")) s.database.schema_version = static_cast<int>(*v);
  }
  if (const json* cr = OptObject(status, "credentials", "status")) {
    s.credentials.secret_name = OptString(*cr, "secretName", "status.credentials").value_or("");
    s.credentials.active_role = OptString(*cr, "activeRole", "status.credentials").value_or("");
    s.credentials.rotated_at = OptString(*cr, "rotatedAt", "status.credentials").value_or("");
  }
  if (const json* api = OptObject(status, "api", "status")) {
    s.api.deployment = OptString(*api, "deployment", "status.api").value_or("");
    s.api.service = OptString(*api, "service", "status.api").value_or("");
    if (auto v = OptInt(*api, "replicas", "status.api")) s.api.replicas = static_cast<int>(*v);
    if (auto v = OptInt(*api, "readyReplicas", "status.api")) s.api.ready_replicas = static_cast<int>(*v);
  }
  return s;
}

Tenant ParseTenant(const json& obj) {
  Tenant t;
  t.metadata = ParseObjectMeta(obj);
  const json* spec = OptObject(obj, "spec", "");
  if (spec == nullptr) throw InvalidObject("spec is required");
  t.spec = ParseTenantSpec(*spec);
  if (const json* st = OptObject(obj, "status", "")) t.status = ParseTenantStatus(*st);
  return t;
}

json ToJson(const TenantStatus& s) {
  json out = json::object();
  out["observedGeneration"] = s.observed_generation;
  out["conditions"] = ToJson(s.conditions);
  json db = json::object();
  if (!s.database.server.empty()) db["server"] = s.database.server;
  if (!s.database.name.empty()) db["name"] = s.database.name;
  if (s.database.schema_version) db["schemaVersion"] = *s.database.schema_version;
  if (!db.empty()) out["database"] = db;
  json cr = json::object();
  if (!s.credentials.secret_name.empty()) cr["secretName"] = s.credentials.secret_name;
  if (!s.credentials.active_role.empty()) cr["activeRole"] = s.credentials.active_role;
  if (!s.credentials.rotated_at.empty()) cr["rotatedAt"] = s.credentials.rotated_at;
  if (!cr.empty()) out["credentials"] = cr;
  json api = json::object();
  if (!s.api.deployment.empty()) api["deployment"] = s.api.deployment;
  if (!s.api.service.empty()) api["service"] = s.api.service;
  if (s.api.replicas) api["replicas"] = *s.api.replicas;
  if (s.api.ready_replicas) api["readyReplicas"] = *s.api.ready_replicas;
  if (!api.empty()) out["api"] = api;
  return out;
}

}  // namespace tenant::api
