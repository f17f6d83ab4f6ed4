#include "operator/controller/tenant_server_watch.hpp"

#include "operator/kube/objects.hpp"

namespace tenant::controller {

using nlohmann::json;

bool ProgressingOnItsOwn(std::string_view reason) {
  return reason == "Provisioning" || reason == "Queued" || reason == "SeedingAdmin" || reason == "ApiProgressing";
}

std::vector<kube::Request> TenantsWaitingForServer(const kube::ObjectCache& tenants, const json& server) {
  const std::string name = kube::Name(server);
  std::vector<kube::Request> out;
  for (const auto& t : tenants.List()) {
    static const json kNone = json::object();
    const auto st = t->find("status");
    const json& status = st != t->end() && st->is_object() ? *st : kNone;
    std::string placed;
    if (const auto db = status.find("database"); db != status.end() && db->is_object()) {
      if (const auto s = db->find("server"); s != db->end() && s->is_string()) placed = s->get<std::string>();
    }
    if (!placed.empty() && placed != name) continue;
    std::string ready = "Unknown", reason;
    if (const auto conds = status.find("conditions"); conds != status.end() && conds->is_array()) {
      for (const auto& c : *conds) {
        if (c.is_object() && c.value("type", "") == "Ready") {
          ready = c.value("status", "Unknown");
          reason = c.value("reason", "");
        }
      }
    }
    if (ready == "True") continue;
    if (!placed.empty() && ProgressingOnItsOwn(reason)) continue;
    out.push_back({kube::Namespace(*t), kube::Name(*t)});
  }
  return out;
}

}  // namespace tenant::controller
