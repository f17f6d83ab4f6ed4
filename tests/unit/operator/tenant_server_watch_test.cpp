// Which tenants a DatabaseServer event re-queues: those waiting for a server, not those
// progressing on their own (every placement changes the server's status).
#include <catch2/catch.hpp>

#include <algorithm>

#include "operator/controller/tenant_indexes.hpp"
#include "operator/controller/tenant_server_watch.hpp"

using namespace tenant;
using nlohmann::json;

namespace {
json TenantWith(const std::string& name, const json& status) {
  json t = {{"metadata", {{"name", name}, {"namespace", "erp"}}}, {"spec", {{"tenantId", name}}}};
  if (!status.is_null()) t["status"] = status;
  return t;
}
json Placed(const std::string& server, const std::string& ready, const std::string& reason) {
  return {{"database", {{"server", server}}},
          {"conditions", json::array({{{"type", "Ready"}, {"status", ready}, {"reason", reason}}})}};
}
}  // namespace

TEST_CASE("A DatabaseServer event re-queues tenants waiting for a server, not those in progress", "[tenant]") {
  kube::Store tenants(controller::TenantStoreOptions());
  tenants.MarkSynced();
  tenants.Upsert(TenantWith("fresh", nullptr));  // no status yet: not placed
  tenants.Upsert(TenantWith("unplaced", {{"conditions", json::array({{{"type", "Ready"}, {"status", "False"},
                                                                      {"reason", "NoDatabaseServer"}}})}}));
  tenants.Upsert(TenantWith("ready", Placed("main", "True", "Ready")));
  tenants.Upsert(TenantWith("blocked", Placed("main", "False", "DatabaseServerNotReady")));
  tenants.Upsert(TenantWith("unreachable", Placed("main", "False", "DatabaseUnreachable")));
  tenants.Upsert(TenantWith("first-sight", Placed("main", "Unknown", "Provisioning")));
  tenants.Upsert(TenantWith("queued", Placed("main", "False", "Queued")));
  tenants.Upsert(TenantWith("hashing", Placed("main", "False", "SeedingAdmin")));
  tenants.Upsert(TenantWith("rolling", Placed("main", "False", "ApiProgressing")));
  tenants.Upsert(TenantWith("elsewhere", Placed("other", "False", "DatabaseUnreachable")));

  std::vector<std::string> names;
  for (const auto& r : controller::TenantsWaitingForServer(tenants, json{{"metadata", {{"name", "main"}}}})) {
    CHECK(r.ns == "erp");
    names.push_back(r.name);
  }
  std::sort(names.begin(), names.end());
  CHECK(names == std::vector<std::string>{"blocked", "fresh", "unplaced", "unreachable"});
  CHECK(controller::ProgressingOnItsOwn("ApiProgressing"));
  CHECK_FALSE(controller::ProgressingOnItsOwn("DatabaseServerNotReady"));
}
