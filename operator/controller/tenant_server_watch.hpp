#pragma once
// Which Tenants a DatabaseServer watch event re-queues (register.cpp's watch mapping).
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "operator/kube/reconciler.hpp"
#include "operator/kube/store.hpp"

namespace tenant::controller {

// True for the Ready=False reasons of a tenant that is progressing on its own and gains
// nothing from a DatabaseServer event: first sight ("Provisioning"), waiting for a
// provisioning slot ("Queued", re-queued when one frees), for its first admin's hash
// ("SeedingAdmin", re-queued by the hasher) or for its Deployment ("ApiProgressing",
// re-queued by the Deployment's own events).
bool ProgressingOnItsOwn(std::string_view ready_reason);

// Tenants to re-queue when DatabaseServer `server` changes: tenants not placed yet (they
// may fit now) and tenants placed on it that are not Ready for a reason other than
// progressing on their own (e.g. DatabaseServerNotReady, DatabaseUnreachable, a failed
// step in backoff). The server's status changes with every placement (tenantCount), so
// re-queuing every tenant that is merely in progress made a burst of N new tenants cost
// on the order of N² reconciles. Answered from the cache's kIndexWaitingForServer index
// (WaitingForServerIndex in tenant_indexes.hpp applies the rule above).
std::vector<kube::Request> TenantsWaitingForServer(const kube::ObjectCache& tenants, const nlohmann::json& server);

}  // namespace tenant::controller
