// Faults, credential rotation and migration safety against the real control plane and a
// real TLS PostgreSQL: PostgreSQL outage reported and recovered without restarting the
// operator; a/b rotation; checksum mismatch -> Stalled; downgrade blocked.
#include "tests/e2e/operator/tenant_e2e_env.hpp"

using namespace tenant;
using e2e::Eventually;
using e2e::TenantEnv;
using nlohmann::json;
using namespace std::chrono_literals;

namespace {
void Touch(TenantEnv& env, const std::string& ns, const std::string& name, int connection_limit) {
  // A spec change bumps metadata.generation, which makes the operator look again now.
  env.admin->Patch(api::kTenants, ns, name, kube::PatchType::kMergePatch,
                   {{"spec", {{"database", {{"connectionLimit", connection_limit}}}}}});
}

pg::Connection TenantDbAsSuperuser(TenantEnv& env, const std::string& db) {
  return pg::Connection::Connect(env.pg.ConnInfo(db), 5s);
}
}  // namespace

TEST_CASE("PostgreSQL outage: conditions say so, tenants recover without an operator restart", "[e2e][tenant][faults]") {
  auto& env = TenantEnv::Get();
  const std::string ns = env.NewNamespace("e2e-outage");
  REQUIRE(env.CreateReadyTenant(ns, "o", e2e::UniqueTenantId("out")));

  env.pg.Stop();
  Touch(env, ns, "o", 40);
  std::string reason, message;
  const bool reported = Eventually(
      [&] {
        auto t = env.GetTenant(ns, "o");
        return t && TenantEnv::ConditionOf(*t, "Ready", &reason, &message) == "False" && reason == "DatabaseUnreachable";
      },
      30s);
  env.pg.Start();  // always restart, even when the check failed
  CHECK(reported);
  CHECK_THAT(message, Catch::Contains("could not connect to localhost:" + std::to_string(env.pg.port())) &&
                          Catch::Contains("retrying in"));
  // Recovery on the operator's own retry, no restart.
  CHECK(env.WaitReady(ns, "o", 90s));
  auto su = env.Superuser();
  CHECK(su.Exec("SELECT datconnlimit FROM pg_database WHERE datname = $1",
                {std::string(env.GetTenant(ns, "o").value()["status"]["database"]["name"])})
            .Int64(0, 0) == 40);
  CHECK(Eventually(
      [&] { return TenantEnv::ConditionOf(env.admin->Get(api::kDatabaseServers, "", env.server_name), "Ready") == "True"; },
      60s));
  env.admin->Delete(api::kTenants, ns, "o");
}

TEST_CASE("Credential rotation switches a -> b and retires the old role after the rollout", "[e2e][tenant][rotation]") {
  auto& env = TenantEnv::Get();
  const std::string ns = env.NewNamespace("e2e-rot");
  const std::string id = e2e::UniqueTenantId("rot");
  REQUIRE(env.CreateReadyTenant(ns, "r", id));
  const auto before = env.SecretData(ns, "r-db");
  REQUIRE(before.at("username") == "erp_tenant_" + id + "_a");
  auto old_conn = env.ConnectWith(before);
  const auto old_pod_version =
      env.admin->Get(kube::resources::kDeployments, ns, "r-api")["spec"]["template"]["metadata"]["annotations"]
          ["tenancy.erp.dev/credentials-version"];

  // Hold the rollout: a pod quota leaves no room for the surge pod, so the Deployment
  // cannot finish rolling until the quota is lifted.
  env.admin->Create(kube::Resource{"", "v1", "resourcequotas", "ResourceQuota", true}, ns,
                    {{"apiVersion", "v1"}, {"kind", "ResourceQuota"}, {"metadata", {{"name", "hold"}}},
                     {"spec", {{"hard", {{"pods", "2"}}}}}});
  std::this_thread::sleep_for(2s);  // let the quota controller compute usage
  env.admin->Patch(api::kTenants, ns, "r", kube::PatchType::kMergePatch,
                   {{"metadata", {{"annotations", {{"tenancy.erp.dev/rotate-credentials", "r1"}}}}}});
  REQUIRE(Eventually([&] { return env.SecretData(ns, "r-db").at("username") == "erp_tenant_" + id + "_b"; }, 30s));
  const auto after = env.SecretData(ns, "r-db");
  CHECK(after.at("password") != before.at("password"));
  // New connections with the new Secret work.
  auto new_conn = env.ConnectWith(after);
  CHECK(new_conn.Exec("SELECT current_user").Value(0, 0) == "erp_tenant_" + id + "_b");
  // Pods roll: the template carries the new credentials version.
  CHECK(env.admin->Get(kube::resources::kDeployments, ns, "r-api")["spec"]["template"]["metadata"]["annotations"]
                      ["tenancy.erp.dev/credentials-version"] != old_pod_version);
  // While the rollout is held, the old credentials keep working: the held connection and
  // new logins with the old Secret (pods not yet replaced reconnect with it).
  std::this_thread::sleep_for(3s);
  CHECK(old_conn.Exec("SELECT 1").Int64(0, 0) == 1);
  CHECK_NOTHROW(env.ConnectWith(before));
  auto su = env.Superuser();
  CHECK_FALSE(su.Exec("SELECT rolpassword IS NULL FROM pg_authid WHERE rolname = $1", {"erp_tenant_" + id + "_a"}).Bool(0, 0));
  env.admin->Delete(kube::Resource{"", "v1", "resourcequotas", "ResourceQuota", true}, ns, "hold");
  // After the rollout the old role has no password and its sessions are gone.
  CHECK(Eventually(
      [&] {
        return su.Exec("SELECT rolpassword IS NULL FROM pg_authid WHERE rolname = $1", {"erp_tenant_" + id + "_a"}).Bool(0, 0);
      },
      120s));
  CHECK_THROWS_AS(env.ConnectWith(before), pg::Error);
  auto t = env.GetTenant(ns, "r").value();
  CHECK(t["status"]["credentials"]["activeRole"] == "erp_tenant_" + id + "_b");
  CHECK(env.WaitReady(ns, "r", 60s));
  // The same annotation value does not rotate again.
  std::this_thread::sleep_for(3s);
  CHECK(env.SecretData(ns, "r-db").at("password") == after.at("password"));
  env.admin->Delete(api::kTenants, ns, "r");
}

TEST_CASE("Migrations: checksum mismatch stalls; downgrade needs allowDowngrade", "[e2e][tenant][migrations]") {
  auto& env = TenantEnv::Get();
  const std::string ns = env.NewNamespace("e2e-mig");
  const std::string id = e2e::UniqueTenantId("mig");
  const std::string db = "erp_tenant_" + id;
  REQUIRE(env.CreateReadyTenant(ns, "m", id));
  auto tdb = TenantDbAsSuperuser(env, db);
  const int latest = static_cast<int>(tdb.Exec("SELECT max(version) FROM schema_migrations").Int64(0, 0));
  REQUIRE(latest >= 2);

  // Tamper with an applied migration's checksum.
  const std::string original = std::string(tdb.Exec("SELECT checksum FROM schema_migrations WHERE version = 1").Value(0, 0));
  tdb.Exec("UPDATE schema_migrations SET checksum = $1 WHERE version = 1", {std::string(64, 'f')});
  Touch(env, ns, "m", 41);
  std::string reason, message;
  CHECK(Eventually(
      [&] {
        auto t = env.GetTenant(ns, "m");
        return t && TenantEnv::ConditionOf(*t, "Stalled", &reason, &message) == "True" && reason == "MigrationChecksumMismatch";
      },
      30s));
  CHECK_THAT(message, Catch::Contains("migration 1"));
  tdb.Exec("UPDATE schema_migrations SET checksum = $1 WHERE version = 1", {original});
  Touch(env, ns, "m", 42);
  REQUIRE(env.WaitReady(ns, "m", 60s));

  // Lower schemaVersion without allowDowngrade: Stalled, nothing run.
  env.admin->Patch(api::kTenants, ns, "m", kube::PatchType::kMergePatch, {{"spec", {{"database", {{"schemaVersion", 1}}}}}});
  CHECK(Eventually(
      [&] {
        auto t = env.GetTenant(ns, "m");
        return t && TenantEnv::ConditionOf(*t, "Stalled", &reason) == "True" && reason == "DowngradeNotAllowed";
      },
      30s));
  CHECK(tdb.Exec("SELECT max(version) FROM schema_migrations").Int64(0, 0) == latest);
  // With allowDowngrade the down migrations run.
  env.admin->Patch(api::kTenants, ns, "m", kube::PatchType::kMergePatch,
                   {{"spec", {{"database", {{"schemaVersion", 1}, {"allowDowngrade", true}}}}}});
  REQUIRE(env.WaitReady(ns, "m", 60s));
  CHECK(tdb.Exec("SELECT max(version) FROM schema_migrations").Int64(0, 0) == 1);
  CHECK(env.GetTenant(ns, "m").value()["status"]["database"]["schemaVersion"] == 1);
  tdb = pg::Connection::Connect(env.pg.ConnInfo("postgres"), 5s);  // let the drop proceed
  env.admin->Delete(api::kTenants, ns, "m");
}
