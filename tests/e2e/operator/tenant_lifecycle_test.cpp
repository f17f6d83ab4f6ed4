// Tenant lifecycle against the real control plane and a real TLS PostgreSQL, with the
// operator running as its least-privilege ServiceAccount: apply -> Ready with Secrets
// that connect; updates; deletion with Retain and Delete (checked in pg_catalog);
// isolation; drift repair; bad input rejected by the API server.
#include "common/auth/password.hpp"
#include "common/migrations/migration_set.hpp"
#include "tests/e2e/operator/tenant_e2e_env.hpp"

using namespace tenant;
using e2e::Eventually;
using e2e::TenantEnv;
using nlohmann::json;
using namespace std::chrono_literals;

namespace {

bool DatabaseExists(pg::Connection& su, const std::string& db) {
  return !su.Exec("SELECT 1 FROM pg_database WHERE datname = $1", {db}).empty();
}
long long RoleCount(pg::Connection& su, const std::string& tenant_id) {
  return su.Exec("SELECT count(*) FROM pg_roles WHERE rolname IN ($1, $2, $3)",
                 {"erp_tenant_" + tenant_id + "_owner", "erp_tenant_" + tenant_id + "_a", "erp_tenant_" + tenant_id + "_b"})
      .Int64(0, 0);
}
}  // namespace

TEST_CASE("Tenant lifecycle: apply -> Ready with working Secrets, update, delete (Retain)", "[e2e][tenant]") {
  auto& env = TenantEnv::Get();
  const std::string ns = env.NewNamespace("e2e-life");
  const std::string id = e2e::UniqueTenantId("life");
  const auto start = std::chrono::steady_clock::now();
  env.admin->Create(api::kTenants, ns, env.Tenant(ns, "acme", id));
  REQUIRE(env.WaitReady(ns, "acme", 60s));
  const auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
  WARN("apply -> Ready took " << elapsed.count() << " ms");

  json t = *env.GetTenant(ns, "acme");
  CHECK(t["status"]["database"]["server"] == env.server_name);
  CHECK(t["status"]["database"]["name"] == "erp_tenant_" + id);
  CHECK(t["status"]["database"]["schemaVersion"].get<int>() >= 1);
  CHECK(t["status"]["credentials"]["secretName"] == "acme-db");
  CHECK(t["metadata"]["finalizers"] == json::array({"tenancy.erp.dev/cleanup"}));
  for (const char* part : {"DatabaseReady", "CredentialsReady", "SchemaReady", "ApiReady"}) {
    CHECK(TenantEnv::ConditionOf(t, part) == "True");
  }

  // The Secret connects, to its own database, as the active login role.
  auto s = env.SecretData(ns, "acme-db");
  for (const char* key : {"host", "port", "dbname", "database", "username", "user", "password", "sslmode", "uri",
                          "jdbc-uri", "pgpass", "ca.crt", "type", "provider"}) {
    CHECK(s.count(key) == 1);
  }
  {
    auto conn = env.ConnectWith(s);
    auto r = conn.Exec("SELECT current_user, current_database()");
    CHECK(r.Value(0, 0) == "erp_tenant_" + id + "_a");
    CHECK(r.Value(0, 1) == "erp_tenant_" + id);
    // The schema was migrated as the owner: the app role can use it.
    CHECK(conn.Exec("SELECT count(*) FROM users").Int64(0, 0) == 1);  // the seeded admin
    // And the URI form works too (with the CA given by the environment libpq reads).
    auto uri_conn = pg::Connection::Connect(pg::ConnInfoBuilder::From(s.at("uri")).SslRootCert(env.pg.ca_file()).Build(), 5s);
    CHECK(uri_conn.Exec("SELECT 1").Int64(0, 0) == 1);
  }
  auto admin_secret = env.SecretData(ns, "acme-admin");
  CHECK(admin_secret["username"] == "admin");
  CHECK(env.SecretData(ns, "acme-api")["jwt-signing-key"].size() >= 32);

  // Workload as built.
  auto dep = env.admin->Get(kube::resources::kDeployments, ns, "acme-api");
  CHECK(dep["spec"]["replicas"] == 2);
  CHECK(dep["spec"]["template"]["spec"]["containers"][0]["image"] == "tenant-api:e2e");
  CHECK(env.admin->GetOrNull(kube::resources::kServices, ns, "acme-api"));
  CHECK(env.admin->GetOrNull(kube::resources::kPodDisruptionBudgets, ns, "acme-api"));
  CHECK(env.admin->GetOrNull(kube::resources::kNetworkPolicies, ns, "acme-api"));

  // Update replicas, image and connection limit.
  env.admin->Patch(api::kTenants, ns, "acme", kube::PatchType::kMergePatch,
                   {{"spec", {{"api", {{"replicas", 3}, {"image", "tenant-api:e2e-2"}}}, {"database", {{"connectionLimit", 7}}}}}});
  CHECK(Eventually(
      [&] {
        auto d = env.admin->Get(kube::resources::kDeployments, ns, "acme-api");
        return d["spec"]["replicas"] == 3 && d["spec"]["template"]["spec"]["containers"][0]["image"] == "tenant-api:e2e-2";
      },
      30s));
  REQUIRE(env.WaitReady(ns, "acme", 60s));
  auto su = env.Superuser();
  CHECK(su.Exec("SELECT datconnlimit FROM pg_database WHERE datname = $1", {"erp_tenant_" + id}).Int64(0, 0) == 7);

  // Delete with the default policy Retain: database and roles stay, marked orphaned.
  env.admin->Delete(api::kTenants, ns, "acme");
  REQUIRE(Eventually([&] { return !env.GetTenant(ns, "acme"); }, 30s));
  CHECK(DatabaseExists(su, "erp_tenant_" + id));
  CHECK(RoleCount(su, id) == 3);
  auto comment = su.Exec("SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = $1",
                         {"erp_tenant_" + id});
  CHECK_THAT(std::string(comment.Value(0, 0)), Catch::Contains("orphaned"));
}

TEST_CASE("deletionPolicy Delete drops the database and the three roles", "[e2e][tenant]") {
  auto& env = TenantEnv::Get();
  const std::string ns = env.NewNamespace("e2e-del");
  const std::string id = e2e::UniqueTenantId("del");
  REQUIRE(env.CreateReadyTenant(ns, "gone", id));
  auto su = env.Superuser();
  REQUIRE(DatabaseExists(su, "erp_tenant_" + id));
  // An open session of the tenant must not block the drop.
  auto session = env.ConnectWith(env.SecretData(ns, "gone-db"));
  env.admin->Delete(api::kTenants, ns, "gone");
  REQUIRE(Eventually([&] { return !env.GetTenant(ns, "gone"); }, 30s));
  CHECK_FALSE(DatabaseExists(su, "erp_tenant_" + id));
  CHECK(RoleCount(su, id) == 0);
}

TEST_CASE("Tenants are isolated from each other", "[e2e][tenant]") {
  auto& env = TenantEnv::Get();
  const std::string ns = env.NewNamespace("e2e-iso");
  const std::string a = e2e::UniqueTenantId("isoa"), b = e2e::UniqueTenantId("isob");
  env.admin->Create(api::kTenants, ns, env.Tenant(ns, "a", a));
  env.admin->Create(api::kTenants, ns, env.Tenant(ns, "b", b));
  REQUIRE(env.WaitReady(ns, "a", 60s));
  REQUIRE(env.WaitReady(ns, "b", 60s));
  auto sa = env.SecretData(ns, "a-db");
  auto sb = env.SecretData(ns, "b-db");
  // A's credentials cannot connect to B's database.
  CHECK_THROWS_AS(env.ConnectWith(sa, "erp_tenant_" + b), pg::Error);
  // Inside its own database A cannot create objects as someone else's owner, and B's
  // data is invisible (different database). PUBLIC has no CREATE on schema public.
  auto ca = env.ConnectWith(sa);
  auto cb = env.ConnectWith(sb);
  cb.Exec("INSERT INTO customers (name, email) VALUES ('secret-of-b', 'b@example.com')");
  CHECK(ca.Exec("SELECT count(*) FROM customers WHERE name = 'secret-of-b'").Int64(0, 0) == 0);
  auto su = env.Superuser();
  CHECK_FALSE(su.Exec("SELECT has_database_privilege('public', $1, 'CONNECT')", {"erp_tenant_" + b}).Bool(0, 0));
  env.admin->Patch(api::kTenants, ns, "a", kube::PatchType::kMergePatch, {{"spec", {{"database", {{"deletionPolicy", "Delete"}}}}}});
  env.admin->Patch(api::kTenants, ns, "b", kube::PatchType::kMergePatch, {{"spec", {{"database", {{"deletionPolicy", "Delete"}}}}}});
  std::this_thread::sleep_for(2s);
  env.admin->Delete(api::kTenants, ns, "a");
  env.admin->Delete(api::kTenants, ns, "b");
}

TEST_CASE("Drift is repaired: Secret, login role, Deployment", "[e2e][tenant]") {
  auto& env = TenantEnv::Get();
  const std::string ns = env.NewNamespace("e2e-drift");
  const std::string id = e2e::UniqueTenantId("drift");
  REQUIRE(env.CreateReadyTenant(ns, "d", id));
  const auto before = env.SecretData(ns, "d-db");

  // Delete <tenant>-db: recreated with a fresh password that works.
  env.admin->Delete(kube::resources::kSecrets, ns, "d-db");
  REQUIRE(Eventually([&] { return env.SecretData(ns, "d-db").at("password") != before.at("password"); }, 30s));
  {
    auto conn = env.ConnectWith(env.SecretData(ns, "d-db"));
    CHECK(conn.Exec("SELECT 1").Int64(0, 0) == 1);
  }
  // Drop the active login role in PostgreSQL: recreated (on resync) and working.
  auto su = env.Superuser();
  const std::string active = env.SecretData(ns, "d-db").at("username");
  su.ExecScript("DROP ROLE \"" + active + "\"");
  REQUIRE(Eventually(
      [&] {
        auto conn = env.ConnectWith(env.SecretData(ns, "d-db"));
        return conn.Exec("SELECT 1").Int64(0, 0) == 1;
      },
      60s));
  // Delete the Deployment: recreated. Edit a managed field: restored.
  env.admin->Delete(kube::resources::kDeployments, ns, "d-api");
  REQUIRE(Eventually([&] { return env.admin->GetOrNull(kube::resources::kDeployments, ns, "d-api").has_value(); }, 30s));
  env.admin->Patch(kube::resources::kDeployments, ns, "d-api", kube::PatchType::kMergePatch,
                   {{"spec", {{"replicas", 5}}}}, {}, "someone-else");
  CHECK(Eventually([&] { return env.admin->Get(kube::resources::kDeployments, ns, "d-api")["spec"]["replicas"] == 2; }, 30s));
  env.admin->Delete(api::kTenants, ns, "d");
}

TEST_CASE("Bad input is rejected by the API server with the schema/CEL message", "[e2e][tenant]") {
  auto& env = TenantEnv::Get();
  const std::string ns = env.NewNamespace("e2e-bad");
  auto rejected = [&](const json& obj, const std::string& needle) {
    try {
      env.admin->Create(api::kTenants, ns, obj);
      FAIL("accepted: " << obj.dump());
    } catch (const kube::ApiError& e) {
      CHECK(e.code() == 422);
      CHECK_THAT(std::string(e.what()), Catch::Contains(needle));
    }
  };
  rejected(env.Tenant(ns, "bad1", "Bad-Id"), "spec.tenantId");
  rejected(env.Tenant(ns, "bad2", "ok", {{"database", {{"deletionPolicy", "Destroy"}}}}), "Unsupported value");
  rejected(env.Tenant(ns, "bad3", "ok", {{"api", {{"autoscaling", {{"minReplicas", 5}, {"maxReplicas", 2}}}}}}),
           "minReplicas must not exceed maxReplicas");
  rejected(env.Tenant(ns, "bad4", "ok", {{"credentials", {{"rotationPeriod", "5m"}}}}), "rotationPeriod must be at least 1h");

  // Immutable tenantId and serverRef; preventDeletion blocks DELETE.
  const std::string id = e2e::UniqueTenantId("imm");
  env.admin->Create(api::kTenants, ns, env.Tenant(ns, "imm", id, {{"preventDeletion", true}, {"suspend", true}}));
  try {
    env.admin->Patch(api::kTenants, ns, "imm", kube::PatchType::kMergePatch, {{"spec", {{"tenantId", "other"}}}});
    FAIL("tenantId change accepted");
  } catch (const kube::ApiError& e) {
    CHECK_THAT(std::string(e.what()), Catch::Contains("tenantId is immutable"));
  }
  try {
    env.admin->Patch(api::kTenants, ns, "imm", kube::PatchType::kMergePatch, {{"spec", {{"database", {{"serverRef", "elsewhere"}}}}}});
    FAIL("serverRef change accepted");
  } catch (const kube::ApiError& e) {
    CHECK_THAT(std::string(e.what()), Catch::Contains("serverRef is immutable once set"));
  }
  // The admission policy may take a moment to become active after it is created.
  bool denied = Eventually(
      [&] {
        try {
          env.admin->Delete(api::kTenants, ns, "imm");
          env.admin->Create(api::kTenants, ns, env.Tenant(ns, "imm", id, {{"preventDeletion", true}, {"suspend", true}}));
          return false;
        } catch (const kube::ApiError& e) {
          return std::string(e.what()).find("preventDeletion") != std::string::npos;
        }
      },
      20s);
  CHECK(denied);
  CHECK(env.GetTenant(ns, "imm"));
  env.admin->Patch(api::kTenants, ns, "imm", kube::PatchType::kMergePatch, {{"spec", {{"preventDeletion", false}}}});
  env.admin->Delete(api::kTenants, ns, "imm");
  CHECK(Eventually([&] { return !env.GetTenant(ns, "imm"); }, 30s));

  // A Tenant pointing at a missing DatabaseServer says so.
  json missing = env.Tenant(ns, "lost", e2e::UniqueTenantId("lost"));
  missing["spec"]["database"]["serverRef"] = "no-such-server";
  env.admin->Create(api::kTenants, ns, missing);
  std::string reason, message;
  CHECK(Eventually(
      [&] {
        auto t = env.GetTenant(ns, "lost");
        return t && TenantEnv::ConditionOf(*t, "Ready", &reason, &message) == "False" && reason == "DatabaseServerNotFound";
      },
      30s));
  CHECK_THAT(message, Catch::Contains("no-such-server"));
  env.admin->Delete(api::kTenants, ns, "lost");
}

TEST_CASE("RBAC: the operator's ServiceAccount has only what it uses", "[e2e][tenant][rbac]") {
  auto& env = TenantEnv::Get();
  const std::string as = "--as=" + kube_e2e::OperatorUser();
  auto can = [&](std::vector<std::string> args) {
    args.insert(args.begin(), "can-i");
    args.insert(args.begin(), "auth");
    args.push_back(as);
    auto r = env.cluster.Kubectl(args);
    return r.out.rfind("yes", 0) == 0;
  };
  // Used: (every other e2e test runs the operator with exactly this account)
  CHECK(can({"patch", "tenants.tenancy.erp.dev", "-A"}));
  CHECK(can({"update", "tenants.tenancy.erp.dev", "--subresource=status", "-A"}));
  CHECK(can({"patch", "deployments.apps", "-A"}));
  CHECK(can({"delete", "horizontalpodautoscalers.autoscaling", "-A"}));
  CHECK(can({"create", "events.events.k8s.io", "-A"}));
  // Not used, so not granted.
  CHECK_FALSE(can({"delete", "secrets", "-A"}));
  CHECK_FALSE(can({"update", "tenants.tenancy.erp.dev", "-A"}));  // spec is never written
  CHECK_FALSE(can({"delete", "tenants.tenancy.erp.dev", "-A"}));
  CHECK_FALSE(can({"delete", "deployments.apps", "-A"}));
  CHECK_FALSE(can({"get", "configmaps", "-A"}));
  CHECK_FALSE(can({"create", "pods", "-A"}));
  CHECK_FALSE(can({"patch", "databaseservers.tenancy.erp.dev"}));
  CHECK_FALSE(can({"create", "clusterrolebindings.rbac.authorization.k8s.io"}));
}

TEST_CASE("Placement by selector, NoDatabaseServer, and suspend", "[e2e][tenant][placement]") {
  auto& env = TenantEnv::Get();
  const std::string ns = env.NewNamespace("e2e-place");
  // Selector placement onto the labelled server.
  json by_selector = env.Tenant(ns, "sel", e2e::UniqueTenantId("sel"), {{"database", {{"deletionPolicy", "Delete"}}}});
  by_selector["spec"]["database"].erase("serverRef");
  by_selector["spec"]["database"]["serverSelector"] = {{"matchLabels", {{"e2e", env.server_name}}}};
  const auto t0 = std::chrono::steady_clock::now();
  env.admin->Create(api::kTenants, ns, by_selector);
  REQUIRE(env.WaitReady(ns, "sel", 60s));
  WARN("selector placement: Ready after "
       << std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0).count() << " ms");
  CHECK(env.GetTenant(ns, "sel").value()["status"]["database"]["server"] == env.server_name);
  // Nothing matches: Ready=False NoDatabaseServer, not Stalled.
  json none = env.Tenant(ns, "none", e2e::UniqueTenantId("none"));
  none["spec"]["database"].erase("serverRef");
  none["spec"]["database"]["serverSelector"] = {{"matchLabels", {{"e2e", "no-such-label"}}}};
  env.admin->Create(api::kTenants, ns, none);
  std::string reason;
  CHECK(Eventually(
      [&] {
        auto t = env.GetTenant(ns, "none");
        return t && TenantEnv::ConditionOf(*t, "Ready", &reason) == "False" && reason == "NoDatabaseServer" &&
               TenantEnv::ConditionOf(*t, "Stalled") == "False";
      },
      30s));
  // Suspended: status says so, nothing is created.
  const std::string sid = e2e::UniqueTenantId("susp");
  env.admin->Create(api::kTenants, ns, env.Tenant(ns, "susp", sid, {{"suspend", true}}));
  CHECK(Eventually(
      [&] {
        auto t = env.GetTenant(ns, "susp");
        return t && TenantEnv::ConditionOf(*t, "Reconciling", &reason) == "False" && reason == "Suspended";
      },
      30s));
  auto su = env.Superuser();
  CHECK_FALSE(DatabaseExists(su, "erp_tenant_" + sid));
  CHECK_FALSE(env.admin->GetOrNull(kube::resources::kSecrets, ns, "susp-db"));
  for (const char* name : {"sel", "none", "susp"}) env.admin->Delete(api::kTenants, ns, name);
}

// A schema older than audit_log (migration 4): the first admin is seeded without its audit
// row; raising schemaVersion later migrates on and keeps that admin.
TEST_CASE("A Tenant pinned to schemaVersion 3 becomes Ready with its first admin, then moves on",
          "[e2e][tenant][schema]") {
  auto& env = TenantEnv::Get();
  const std::string ns = env.NewNamespace("e2e-pin");
  const std::string id = e2e::UniqueTenantId("pin");
  REQUIRE(env.CreateReadyTenant(ns, "old", id, json{{"database", {{"schemaVersion", 3}}}}));
  auto tenant = env.GetTenant(ns, "old");
  REQUIRE(tenant);
  CHECK((*tenant)["status"]["database"]["schemaVersion"] == 3);
  const auto admin = env.SecretData(ns, "old-admin");
  {
    auto db = env.ConnectWith(env.SecretData(ns, "old-db"));
    CHECK_FALSE(db.Exec("SELECT to_regclass('audit_log') IS NOT NULL").Bool(0, 0));
    auto users = db.Exec("SELECT username, password_hash FROM users");
    REQUIRE(users.rows() == 1);
    CHECK(users.Value(0, 0) == admin.at("username"));
    CHECK(auth::VerifyPassword(admin.at("password"), users.Value(0, 1)));
  }
  // Unpinned: migrated to the newest version, the admin kept, no second admin.
  env.admin->Patch(api::kTenants, ns, "old", kube::PatchType::kJsonPatch,
                   json::array({{{"op", "remove"}, {"path", "/spec/database/schemaVersion"}}}));
  REQUIRE(Eventually(
      [&] {
        auto t = env.GetTenant(ns, "old");
        return t && (*t)["status"]["database"]["schemaVersion"] == migrations::Embedded().latest() &&
               env.WaitReady(ns, "old", 1s);
      },
      60s));
  auto db = env.ConnectWith(env.SecretData(ns, "old-db"));
  CHECK(db.Exec("SELECT to_regclass('audit_log') IS NOT NULL").Bool(0, 0));
  CHECK(db.Exec("SELECT count(*) FROM users").Int64(0, 0) == 1);
  env.admin->Delete(api::kTenants, ns, "old");
}
