#pragma once
// The Tenant cache: kept packed (1,000 parsed Tenants were ~12 MB of the operator's 64 MB
// budget, issue 4 §6), with indexes answering the paths that look at every Tenant — a
// server's tenant count, placement, the tenants a DatabaseServer event re-queues — without
// parsing any of them.
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "operator/kube/informer.hpp"
#include "operator/kube/store.hpp"

namespace tenant::controller {

// status.database.server of placed tenants.
inline constexpr std::string_view kIndexPlacedServer = "placedServer";
// Tenants a DatabaseServer event should re-queue (tenant_server_watch.hpp), filed under the
// server they are placed on, or "" when not placed yet.
inline constexpr std::string_view kIndexWaitingForServer = "waitingForServer";

// status.database.server, "" when not placed.
std::string PlacedServer(const nlohmann::json& tenant);

std::vector<std::string> PlacedServerIndex(const nlohmann::json& tenant);
std::vector<std::string> WaitingForServerIndex(const nlohmann::json& tenant);

// The store options of the Tenant cache (also for unit tests' fake caches).
kube::StoreOptions TenantStoreOptions();
// The informer options of the Tenant cache: the primary-cache transform plus the above.
kube::InformerOptions TenantCacheOptions();

}  // namespace tenant::controller
