// A DatabaseServer whose admin is not a superuser, only CREATEDB + CREATEROLE (as on
// managed PostgreSQL such as RDS or Cloud SQL): on PostgreSQL 15 the operator must make
// that admin a member of the tenant's roles to create a database owned by the owner role,
// run migrations as it, end sessions and drop everything again.
#include <fstream>
#include <sstream>

#include "common/pg/quote.hpp"
#include "common/pg/scram.hpp"
#include "tests/e2e/operator/tenant_e2e_env.hpp"

using namespace tenant;
using e2e::Eventually;
using e2e::TenantEnv;
using nlohmann::json;
using namespace std::chrono_literals;

TEST_CASE("Non-superuser admin (CREATEDB, CREATEROLE): provision, rotate-free use, delete", "[e2e][tenant][managed]") {
  auto& env = TenantEnv::Get();
  auto su = env.Superuser();
  const std::string suffix = e2e::RandomSuffix();
  const std::string admin_role = "managed_admin_" + suffix;
  const std::string admin_password = "pw-" + e2e::RandomSuffix() + "-" + e2e::RandomSuffix();
  su.ExecScript("CREATE ROLE " + pg::QuoteIdentifier(admin_role) + " LOGIN CREATEDB CREATEROLE NOSUPERUSER PASSWORD " +
                pg::QuoteLiteral(pg::ScramVerifier(su, admin_role, admin_password)));

  const std::string db_ns = env.NewNamespace("e2e-managed-db");
  std::ifstream ca_in(env.pg.ca_file());
  std::stringstream ca;
  ca << ca_in.rdbuf();
  env.admin->Create(kube::resources::kSecrets, db_ns,
                    {{"apiVersion", "v1"}, {"kind", "Secret"}, {"metadata", {{"name", "pg-admin"}}},
                     {"stringData", {{"username", admin_role}, {"password", admin_password}}}});
  env.admin->Create(kube::resources::kSecrets, db_ns,
                    {{"apiVersion", "v1"}, {"kind", "Secret"}, {"metadata", {{"name", "pg-ca"}}},
                     {"stringData", {{"ca.crt", ca.str()}}}});
  const std::string server = "e2e-managed-" + suffix;
  env.admin->Create(api::kDatabaseServers, "",
                    {{"apiVersion", "tenancy.erp.dev/v1alpha1"},
                     {"kind", "DatabaseServer"},
                     {"metadata", {{"name", server}}},
                     {"spec",
                      {{"host", env.pg.host()},
                       {"port", env.pg.port()},
                       {"sslMode", "verify-full"},
                       {"caSecretRef", {{"namespace", db_ns}, {"name", "pg-ca"}}},
                       {"adminSecretRef", {{"namespace", db_ns}, {"name", "pg-admin"}}}}}});
  REQUIRE(Eventually(
      [&] { return TenantEnv::ConditionOf(env.admin->Get(api::kDatabaseServers, "", server), "Ready") == "True"; }, 60s));

  const std::string ns = env.NewNamespace("e2e-managed");
  const std::string id = "managed_" + suffix;
  json tenant = env.Tenant(ns, "m", id, {{"database", {{"serverRef", server}, {"deletionPolicy", "Delete"}}}});
  env.admin->Create(api::kTenants, ns, tenant);
  REQUIRE(env.WaitReady(ns, "m", 90s));

  const std::string db = "erp_tenant_" + id;
  CHECK(su.Exec("SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = $1", {db}).Value(0, 0) ==
        "erp_tenant_" + id + "_owner");
  CHECK(su.Exec("SELECT rolsuper FROM pg_roles WHERE rolname = $1", {admin_role}).Value(0, 0) == "f");
  // Migrations ran as the owner role, and the first admin exists.
  {
    auto tenant_conn = env.ConnectWith(env.SecretData(ns, "m-db"));
    CHECK(tenant_conn.Exec("SELECT tableowner FROM pg_tables WHERE schemaname = 'public' AND tablename = 'users'")
              .Value(0, 0) == "erp_tenant_" + id + "_owner");
    CHECK(tenant_conn.Exec("SELECT count(*) FROM \"users\" WHERE \"role\" = 'admin'").Int64(0, 0) == 1);
  }

  // Deletion with the same admin: database and roles gone (checked in pg_catalog).
  env.admin->Delete(api::kTenants, ns, "m");
  REQUIRE(Eventually([&] { return !env.GetTenant(ns, "m"); }, 60s));
  CHECK(su.Exec("SELECT count(*) FROM pg_database WHERE datname = $1", {db}).Int64(0, 0) == 0);
  CHECK(su.Exec("SELECT count(*) FROM pg_roles WHERE rolname LIKE $1", {"erp_tenant_" + id + "%"}).Int64(0, 0) == 0);

  env.admin->Delete(api::kDatabaseServers, "", server);
  REQUIRE(Eventually([&] { return !env.admin->GetOrNull(api::kDatabaseServers, "", server).has_value(); }, 30s));
  su.ExecScript("DROP ROLE IF EXISTS " + pg::QuoteIdentifier(admin_role));
}
