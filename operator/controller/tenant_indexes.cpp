#include "operator/controller/tenant_indexes.hpp"

#include "operator/controller/tenant_server_watch.hpp"
#include "operator/kube/cache_transforms.hpp"

namespace tenant::controller {

using nlohmann::json;

namespace {

const json& StatusOf(const json& tenant) {
  static const json kNone = json::object();
  const auto st = tenant.find("status");
  return st != tenant.end() && st->is_object() ? *st : kNone;
}

}  // namespace

std::string PlacedServer(const json& tenant) {
  const json& status = StatusOf(tenant);
  if (const auto db = status.find("database"); db != status.end() && db->is_object()) {
    if (const auto s = db->find("server"); s != db->end() && s->is_string()) return s->get<std::string>();
  }
  return "";
}

std::vector<std::string> PlacedServerIndex(const json& tenant) {
  std::string placed = PlacedServer(tenant);
  if (placed.empty()) return {};
  return {std::move(placed)};
}

std::vector<std::string> WaitingForServerIndex(const json& tenant) {
  std::string ready = "Unknown", reason;
  const json& status = StatusOf(tenant);
  if (const auto conds = status.find("conditions"); conds != status.end() && conds->is_array()) {
    for (const auto& c : *conds) {
      if (c.is_object() && c.value("type", "") == "Ready") {
        ready = c.value("status", "Unknown");
        reason = c.value("reason", "");
      }
    }
  }
  if (ready == "True") return {};
  std::string placed = PlacedServer(tenant);
  if (!placed.empty() && ProgressingOnItsOwn(reason)) return {};
  return {std::move(placed)};
}

kube::StoreOptions TenantStoreOptions() {
  kube::StoreOptions o;
  o.compact = true;
  o.indexers.emplace(kIndexPlacedServer, PlacedServerIndex);
  o.indexers.emplace(kIndexWaitingForServer, WaitingForServerIndex);
  return o;
}

kube::InformerOptions TenantCacheOptions() {
  kube::InformerOptions o = kube::PrimaryCacheOptions();
  const kube::StoreOptions store = TenantStoreOptions();
  o.compact = store.compact;
  o.indexers = store.indexers;
  return o;
}

}  // namespace tenant::controller
