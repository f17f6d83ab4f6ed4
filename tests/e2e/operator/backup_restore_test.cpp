// docs/operations.md "Backup and restore of one tenant", step by step, against the real
// control plane, the operator (as its ServiceAccount) and a real TLS PostgreSQL: the dump
// is taken with the tenant's own credentials from <tenant>-db (verify-full with its
// ca.crt) by Debian's pg_dump, then restored by pg_restore into the same tenant and into
// a new one, with the kubectl steps the doc gives around it. Keep both in step: a change
// to the doc's commands belongs here too.
#include <fstream>

#include "common/pg/quote.hpp"
#include "common/tenancy/database_names.hpp"
#include "tests/e2e/operator/tenant_e2e_env.hpp"

using namespace tenant;
using e2e::Eventually;
using e2e::TenantEnv;
using nlohmann::json;
using namespace std::chrono_literals;

namespace {

// What the doc's reader has on disk after its first two commands: the URI and the CA
// from the tenant's <tenant>-db Secret.
struct TenantLogin {
  std::string uri;  // carries the password: never print it (nor an argv holding it)
  std::filesystem::path ca;
};

TenantLogin LoginFromSecret(TenantEnv& env, const std::string& ns, const std::string& tenant,
                            const std::filesystem::path& dir) {
  auto s = env.SecretData(ns, tenant + "-db");
  const auto ca = dir / (tenant + "-ca.crt");
  std::ofstream(ca) << s.at("ca.crt");
  return {s.at("uri"), ca};
}

pg::Connection Connect(const TenantLogin& login) {
  return pg::Connection::Connect(pg::ConnInfoBuilder::From(login.uri).SslRootCert(login.ca.string()).Build(), 5s);
}

// Runs a PostgreSQL client program (postgresql-client-15) as the doc does: CA through
// PGSSLROOTCERT. Fails the test with the program's stderr (not its argv) unless it exits 0.
void PgClient(const TenantLogin& login, std::vector<std::string> argv) {
  const std::string program = argv.front();
  argv.insert(argv.begin(), {"env", "PGSSLROOTCERT=" + login.ca.string()});
  auto r = test::LocalCluster::Run(argv, {}, 120s);
  INFO(program << " exited " << r.exit_code << "; stderr:\n" << r.err);
  REQUIRE(r.ok());
}

// Every row of `sql`, one line each, columns separated by '|': a comparable snapshot.
std::string Rows(pg::Connection& c, const std::string& sql, const pg::Params& params = {}) {
  auto r = c.Exec(sql, params);
  std::string out;
  for (int row = 0; row < r.rows(); ++row) {
    for (int col = 0; col < r.columns(); ++col) {
      if (col > 0) out += '|';
      out += r.Optional(row, col).value_or("NULL");
    }
    out += "\n";
  }
  return out;
}

std::string TenantData(pg::Connection& c) {
  return Rows(c, "SELECT id, name, email, version FROM customers ORDER BY id") +
         Rows(c, "SELECT id, sku, name, unit_price_minor, currency, stock_quantity FROM products ORDER BY id") +
         Rows(c, "SELECT id, username, password_hash FROM users ORDER BY id");
}

int StatusSchemaVersion(TenantEnv& env, const std::string& ns, const std::string& tenant) {
  return env.GetTenant(ns, tenant).value()["status"]["database"].value("schemaVersion", -1);
}

void Kubectl(TenantEnv& env, const std::vector<std::string>& args) { env.cluster.KubectlOrThrow(args, {}, 120s); }

// The doc's restore: stop the API, suspend the tenant and wait until the operator says so,
// empty the schema, pg_restore as the owner role, resume.
void RestoreAsDocumented(TenantEnv& env, const std::string& ns, const std::string& tenant, const std::string& tenant_id,
                         const TenantLogin& login, const std::filesystem::path& dump) {
  const std::string owner = tenancy::OwnerRole(tenant_id);
  Kubectl(env, {"-n", ns, "patch", "tenant", tenant, "--type", "merge", "-p", R"({"spec":{"api":{"replicas":0}}})"});
  Kubectl(env, {"-n", ns, "rollout", "status", "deployment/" + tenant + "-api", "--timeout=60s"});
  Kubectl(env, {"-n", ns, "patch", "tenant", tenant, "--type", "merge", "-p", R"({"spec":{"suspend":true}})"});
  Kubectl(env, {"-n", ns, "wait", "tenant/" + tenant, "--timeout=60s",
                R"(--for=jsonpath={.status.conditions[?(@.type=="Reconciling")].reason}=Suspended)"});
  PgClient(login, {"psql", login.uri, "-v", "ON_ERROR_STOP=1", "-c",
                   "SET ROLE " + pg::QuoteIdentifier(owner) + "; DROP SCHEMA public CASCADE; CREATE SCHEMA public"});
  PgClient(login, {"pg_restore", "--single-transaction", "--no-owner", "--no-privileges", "--role=" + owner,
                   "--dbname=" + login.uri, dump.string()});
  Kubectl(env, {"-n", ns, "patch", "tenant", tenant, "--type", "merge", "-p",
                R"({"spec":{"suspend":false,"api":{"replicas":2}}})"});
}

// Objects in schema public (and the schema itself) not owned by `owner`; "" when none.
std::string ForeignOwnedObjects(pg::Connection& su, const std::string& owner) {
  return Rows(su,
              "SELECT 'relation ' || c.relname || ' owned by ' || pg_get_userbyid(c.relowner) FROM pg_class c "
              "WHERE c.relnamespace = 'public'::regnamespace AND pg_get_userbyid(c.relowner) <> $1 "
              "UNION ALL SELECT 'function ' || p.proname || ' owned by ' || pg_get_userbyid(p.proowner) FROM pg_proc p "
              "WHERE p.pronamespace = 'public'::regnamespace AND pg_get_userbyid(p.proowner) <> $1 "
              "UNION ALL SELECT 'schema public owned by ' || pg_get_userbyid(n.nspowner) FROM pg_namespace n "
              "WHERE n.nspname = 'public' AND pg_get_userbyid(n.nspowner) <> $1",
              {owner});
}

// The restored database as the operator left it after resuming: the dump's data, every
// object owned by the owner role, and schema_migrations holding the dump's rows up to the
// dump's version, then the versions the operator applied after the restore.
void CheckRestored(TenantEnv& env, const std::string& ns, const std::string& tenant, const std::string& tenant_id,
                   const std::string& data_at_dump, const std::string& migrations_at_dump, int dump_version,
                   int latest, const std::string& restore_started) {
  INFO("tenant " << ns << "/" << tenant);
  CHECK(StatusSchemaVersion(env, ns, tenant) == latest);
  auto login = env.ConnectWith(env.SecretData(ns, tenant + "-db"));
  CHECK(TenantData(login) == data_at_dump);
  // Tables of newer migrations are created again, empty: nothing written after the dump stays.
  CHECK(login.Exec("SELECT count(*) FROM orders").Int64(0, 0) == 0);
  auto su = pg::Connection::Connect(env.pg.ConnInfo(tenancy::DatabaseName(tenant_id)), 5s);
  CHECK(ForeignOwnedObjects(su, tenancy::OwnerRole(tenant_id)).empty());
  CHECK(Rows(su, "SELECT version, name, checksum, applied_at FROM schema_migrations WHERE version <= $1 ORDER BY version",
             {std::to_string(dump_version)}) == migrations_at_dump);
  // What the operator sees: the versions after the dump's were applied again, after the restore.
  CHECK(su.Exec("SELECT max(version) FROM schema_migrations").Int64(0, 0) == latest);
  CHECK(su.Exec("SELECT count(*) FROM schema_migrations WHERE version > $1 AND applied_at > $2::timestamptz",
                {std::to_string(dump_version), restore_started})
            .Int64(0, 0) == latest - dump_version);
}

}  // namespace

TEST_CASE("Backup and restore of one tenant with pg_dump/pg_restore as docs/operations.md says", "[e2e][tenant][backup]") {
  auto& env = TenantEnv::Get();
  test::TempDir dir("backup-e2e");
  const std::string ns = env.NewNamespace("e2e-backup");
  const std::string id = e2e::UniqueTenantId("bak");
  // Taken down to schema version 2 (allowDowngrade) while the dump is taken, back to the
  // newest afterwards: at restore time the database has tables the dump does not know
  // (orders, whose foreign keys point at the dump's customers and products), and the
  // operator has to migrate the restored schema forward again.
  REQUIRE(env.CreateReadyTenant(ns, "acme", id));
  const int latest = StatusSchemaVersion(env, ns, "acme");
  REQUIRE(latest >= 3);  // orders (version 3) is newer than the dump
  const int dump_version = 2;
  env.admin->Patch(api::kTenants, ns, "acme", kube::PatchType::kMergePatch,
                   {{"spec", {{"database", {{"schemaVersion", dump_version}, {"allowDowngrade", true}}}}}});
  REQUIRE(env.WaitReady(ns, "acme", 60s));
  REQUIRE(StatusSchemaVersion(env, ns, "acme") == dump_version);

  const TenantLogin acme = LoginFromSecret(env, ns, "acme", dir.path());
  REQUIRE_THAT(acme.uri, Catch::EndsWith("?sslmode=verify-full"));
  std::string data_at_dump, migrations_at_dump;
  {
    auto c = Connect(acme);
    REQUIRE(c.Exec("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()").Bool(0, 0));
    c.ExecScript(
        "INSERT INTO customers (name, email) VALUES ('Ada', 'ada@example.com'), ('Grace', 'grace@example.com');"
        "INSERT INTO products (sku, name, unit_price_minor, currency, stock_quantity) VALUES "
        "('SKU-1', 'Widget', 1999, 'EUR', 5), ('SKU-2', 'Gadget', 500, 'EUR', 0)");
    data_at_dump = TenantData(c);
    migrations_at_dump = Rows(c, "SELECT version, name, checksum, applied_at FROM schema_migrations ORDER BY version");
  }
  REQUIRE_THAT(data_at_dump, Catch::Contains("SKU-2") && Catch::Contains("Grace"));

  const auto dump = dir.path() / "acme.dump";
  PgClient(acme, {"pg_dump", "--format=custom", "--no-owner", "--no-privileges", "--file=" + dump.string(), acme.uri});

  // After the backup: the schema moves to the newest version and the data goes bad.
  env.admin->Patch(api::kTenants, ns, "acme", kube::PatchType::kMergePatch,
                   {{"spec", {{"database", {{"schemaVersion", nullptr}}}}}});
  REQUIRE(env.WaitReady(ns, "acme", 60s));
  REQUIRE(StatusSchemaVersion(env, ns, "acme") == latest);
  {
    auto c = Connect(acme);
    c.ExecScript(
        "DELETE FROM products WHERE sku = 'SKU-2'; UPDATE customers SET name = 'overwritten';"
        "INSERT INTO orders (customer_id, total_minor, currency) SELECT min(id), 1999, 'EUR' FROM customers");
    REQUIRE(TenantData(c) != data_at_dump);
  }

  // Restore into the same tenant.
  const std::string restore_started = std::string(env.Superuser().Exec("SELECT now()").Value(0, 0));
  RestoreAsDocumented(env, ns, "acme", id, acme, dump);
  REQUIRE(env.WaitReady(ns, "acme", 90s));
  CheckRestored(env, ns, "acme", id, data_at_dump, migrations_at_dump, dump_version, latest, restore_started);
  CHECK(env.admin->Get(kube::resources::kDeployments, ns, "acme-api")["spec"]["replicas"] == 2);

  // Restore into a new tenant: created and Ready first (database, roles, newest schema),
  // then the same steps with its own credentials. Its tenantId differs (same server): the
  // dump names no role, so any tenantId takes it.
  const std::string copy_id = e2e::UniqueTenantId("bakcopy");
  REQUIRE(env.CreateReadyTenant(ns, "acme-copy", copy_id));
  const TenantLogin copy = LoginFromSecret(env, ns, "acme-copy", dir.path());
  const std::string copy_restore_started = std::string(env.Superuser().Exec("SELECT now()").Value(0, 0));
  RestoreAsDocumented(env, ns, "acme-copy", copy_id, copy, dump);
  REQUIRE(env.WaitReady(ns, "acme-copy", 90s));
  CheckRestored(env, ns, "acme-copy", copy_id, data_at_dump, migrations_at_dump, dump_version, latest,
                copy_restore_started);

  env.admin->Delete(api::kTenants, ns, "acme");
  env.admin->Delete(api::kTenants, ns, "acme-copy");
  CHECK(Eventually([&] { return !env.GetTenant(ns, "acme") && !env.GetTenant(ns, "acme-copy"); }, 60s));
}
