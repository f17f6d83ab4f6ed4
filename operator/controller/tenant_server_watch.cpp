#include "operator/controller/tenant_server_watch.hpp"

#include "operator/controller/tenant_indexes.hpp"
#include "operator/kube/objects.hpp"

namespace tenant::controller {

using nlohmann::json;

bool ProgressingOnItsOwn(std::string_view reason) {
  return reason == "Provisioning" || reason == "Queued" || reason == "SeedingAdmin" || reason == "ApiProgressing";
}

std::vector<kube::Request> TenantsWaitingForServer(const kube::ObjectCache& tenants, const json& server) {
  std::vector<kube::Request> out;
  // Placed on this server, or not placed at all (tenant_indexes.hpp).
  for (const std::string& value : {kube::Name(server), std::string()}) {
    for (const auto& key : tenants.IndexKeys(kIndexWaitingForServer, value)) {
      auto [ns, name] = kube::SplitKey(key);
      out.push_back({std::move(ns), std::move(name)});
    }
  }
  return out;
}

}  // namespace tenant::controller
