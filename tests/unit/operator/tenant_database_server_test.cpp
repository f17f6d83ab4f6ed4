// The DatabaseServer reconciler: admin Secret -> pooled executor, Ready/serverVersion/
// tenantCount in status, executor reused while nothing changed, failures reported.
#include <catch2/catch.hpp>

#include "operator/api/condition.hpp"
#include "operator/controller/database_server_reconciler.hpp"
#include "operator/controller/tenant_server_watch.hpp"
#include "tenant_fakes.hpp"

using namespace tenant;
using nlohmann::json;

namespace {
struct ServerHarness {
  std::shared_ptr<test::FakeClient> client = std::make_shared<test::FakeClient>();
  std::shared_ptr<test::FakeExecutor> db = std::make_shared<test::FakeExecutor>();
  std::shared_ptr<controller::ServerRegistry> registry = std::make_shared<controller::ServerRegistry>();
  int executors_built = 0;
  database::ServerConnectionConfig last_config;
  std::unique_ptr<controller::DatabaseServerReconciler> rec;

  ServerHarness() {
    rec = std::make_unique<controller::DatabaseServerReconciler>(
        client, client->StoreFor(api::kDatabaseServers), client->StoreFor(api::kTenants), nullptr, registry,
        [this](const database::ServerConnectionConfig& c) {
          ++executors_built;
          last_config = c;
          return db;
        });
    client->StoreFor(api::kDatabaseServers)
        ->Upsert(json{{"metadata", {{"name", "main"}, {"generation", 2}, {"resourceVersion", "1"}}},
                      {"spec",
                       {{"host", "pg"}, {"port", 6432}, {"sslMode", "verify-ca"},
                        {"caSecretRef", {{"namespace", "db"}, {"name", "ca"}}},
                        {"adminSecretRef", {{"namespace", "db"}, {"name", "admin"}}}}}});
    auto secret = [](const std::string& name, json data) {
      return json{{"metadata", {{"name", name}, {"namespace", "db"}}}, {"data", data}};
    };
    client->StoreFor(kube::resources::kSecrets)->Upsert(secret("admin", {{"username", "YWRt"}, {"password", "cHc="}}));
    client->StoreFor(kube::resources::kSecrets)->Upsert(secret("ca", {{"ca.crt", "UEVN"}}));
    for (int i = 0; i < 3; ++i) {
      client->StoreFor(api::kTenants)
          ->Upsert(json{{"metadata", {{"name", "t" + std::to_string(i)}, {"namespace", "erp"}}},
                        {"status", {{"database", {{"server", i < 2 ? "main" : "other"}}}}}});
    }
  }
  json Status() { return (*client->StoreFor(api::kDatabaseServers)->Get("main"))["status"]; }
};
}  // namespace

TEST_CASE("DatabaseServer: connects with the admin Secret and reports version and tenant count", "[tenant]") {
  ServerHarness h;
  auto r = h.rec->Reconcile({"", "main"}, {});
  CHECK(r.kind() == kube::Result::Kind::kRequeueAfter);
  CHECK(h.last_config.host == "pg");
  CHECK(h.last_config.port == 6432);
  CHECK(h.last_config.ssl_mode == "verify-ca");
  CHECK(h.last_config.admin_user == "adm");
  CHECK(h.last_config.admin_password == "pw");
  CHECK(h.last_config.ca_pem == "PEM");
  json st = h.Status();
  CHECK(st["observedGeneration"] == 2);
  CHECK(st["serverVersion"] == "15.99");
  CHECK(st["tenantCount"] == 2);
  auto conds = api::ConditionsFromJson(st["conditions"]);
  CHECK(api::IsConditionTrue(conds, "Ready"));
  auto entry = h.registry->Get("main");
  REQUIRE(entry);
  CHECK(entry->ready);
  CHECK(entry->ca_pem == "PEM");
  // Unchanged: same executor (pooled connections kept), no status write.
  const int writes = h.client->writes;
  h.rec->Reconcile({"", "main"}, {});
  CHECK(h.executors_built == 1);
  CHECK(h.client->writes == writes);
}

TEST_CASE("DatabaseServer: unreachable server or missing Secret is reported", "[tenant]") {
  ServerHarness h;
  h.db->down = true;
  h.rec->Reconcile({"", "main"}, {});
  auto conds = api::ConditionsFromJson(h.Status()["conditions"]);  // keep alive: FindCondition points into it
  auto c = api::FindCondition(conds, "Ready");
  REQUIRE(c);
  CHECK(c->status == "False");
  CHECK(c->reason == "DatabaseUnreachable");
  CHECK(h.registry->Get("main")->reason == "DatabaseUnreachable");
  h.db->down = false;
  h.client->StoreFor(kube::resources::kSecrets)->Remove("db/admin");
  h.rec->Reconcile({"", "main"}, {});
  conds = api::ConditionsFromJson(h.Status()["conditions"]);
  c = api::FindCondition(conds, "Ready");
  REQUIRE(c);
  CHECK(c->reason == "AdminSecretNotFound");
  CHECK_THAT(c->message, Catch::Contains("db/admin"));
  CHECK_FALSE(h.registry->Get("main")->ready);
  // Tenants waiting on it are re-queued when it changes.
  auto reqs = controller::TenantsWaitingForServer(*h.client->StoreFor(api::kTenants),
                                           *h.client->StoreFor(api::kDatabaseServers)->Get("main"));
  CHECK(reqs.size() == 2);
}

TEST_CASE("DatabaseServer: a server that stays down is re-checked less and less often, at once when back",
          "[tenant]") {
  using std::chrono::seconds;
  ServerHarness h;
  h.db->down = true;
  std::vector<long long> delays;
  for (int i = 0; i < 6; ++i) {
    auto r = h.rec->Reconcile({"", "main"}, {});
    REQUIRE(r.kind() == kube::Result::Kind::kRequeueAfter);
    delays.push_back(std::chrono::duration_cast<seconds>(r.requeue_after()).count());
  }
  CHECK(delays == std::vector<long long>{5, 10, 20, 40, 60, 60});
  h.db->down = false;
  auto ok = h.rec->Reconcile({"", "main"}, {});
  CHECK(ok.requeue_after() == seconds(30));
  // Down again: the backoff starts over.
  h.db->down = true;
  CHECK(h.rec->Reconcile({"", "main"}, {}).requeue_after() == seconds(5));
}
