#include "operator/controller/placement.hpp"

#include "operator/kube/labels.hpp"

namespace tenant::controller {

Placement Place(const api::Tenant& t, const std::vector<ServerCandidate>& servers) {
  const auto& placed = t.status.database.server;
  const auto& ref = t.spec.database.server_ref;
  if (!placed.empty()) {
    if (ref && *ref != placed) {
      return {"", true, "ServerChangeNotSupported",
              "spec.database.serverRef is \"" + *ref + "\" but the database lives on \"" + placed +
                  "\"; moving a tenant database is not supported (set serverRef back to \"" + placed + "\")"};
    }
    return {placed, false, "", ""};
  }
  if (ref) {
    for (const auto& s : servers) {
      if (s.name == *ref) return {s.name, false, "", ""};
    }
    return {"", false, "DatabaseServerNotFound",
            "DatabaseServer \"" + *ref + "\" does not exist; create it or fix spec.database.serverRef"};
  }
  kube::LabelSelector selector;
  std::string selector_text;
  if (t.spec.database.server_selector) {
    selector_text = t.spec.database.server_selector->ToSelectorString();
    try {
      selector = kube::LabelSelector::Parse(selector_text);
    } catch (const std::exception& e) {
      return {"", true, "InvalidServerSelector", std::string("spec.database.serverSelector: ") + e.what()};
    }
  }
  const ServerCandidate* best = nullptr;
  int matching = 0;
  for (const auto& s : servers) {
    if (!selector.Matches(s.labels)) continue;
    ++matching;
    if (!s.ready) continue;
    if (s.max_tenants && s.tenant_count >= *s.max_tenants) continue;
    if (best == nullptr || s.tenant_count < best->tenant_count ||
        (s.tenant_count == best->tenant_count && s.name < best->name)) {
      best = &s;
    }
  }
  if (best != nullptr) return {best->name, false, "", ""};
  std::string what = selector_text.empty() ? "any DatabaseServer" : "a DatabaseServer matching \"" + selector_text + "\"";
  if (matching == 0) return {"", false, "NoDatabaseServer", "no DatabaseServer matches; waiting for " + what};
  return {"", false, "NoDatabaseServer",
          std::to_string(matching) + " DatabaseServer(s) match but none is Ready with free capacity; waiting for " + what};
}

}  // namespace tenant::controller
