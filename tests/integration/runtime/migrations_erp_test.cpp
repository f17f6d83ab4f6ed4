#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>

#include "common/migrations/migration_set.hpp"
#include "common/migrations/runner.hpp"
#include "common/pg/quote.hpp"
#include "common/auth/seed_user.hpp"
#include "tests/integration/runtime/api_fixture.hpp"

using namespace tenant::test::api;
namespace mig = tenant::migrations;

namespace {

const std::vector<std::string> kTables = {"users", "refresh_tokens", "customers", "products",
                                          "orders", "order_lines", "audit_log", "idempotency_keys"};

int CountTables(tenant::pg::Connection& conn) {
  int n = 0;
  for (const auto& t : kTables) {
    if (conn.Exec("SELECT to_regclass($1) IS NOT NULL", {"public." + t}).Bool(0, 0)) ++n;
  }
  return n;
}

}  // namespace

TEST_CASE("ERP migrations apply as the tenant owner without superuser and reverse fully", "[integration][migrations]") {
  TenantDatabase db;
  db.Migrate();
  auto conn = db.ConnectAsApp();
  CHECK(CountTables(conn) == static_cast<int>(kTables.size()));
  // every table belongs to the owner role, none to the superuser
  auto owners = conn.Exec("SELECT DISTINCT tableowner FROM pg_tables WHERE schemaname = 'public'");
  REQUIRE(owners.rows() == 1);
  CHECK(owners.Value(0, 0) == db.owner());
  CHECK(conn.Exec("SELECT max(version) FROM schema_migrations").Int64(0, 0) == mig::Embedded().latest());

  db.Migrate(0);
  CHECK(CountTables(conn) == 0);
  db.Migrate();
  CHECK(CountTables(conn) == static_cast<int>(kTables.size()));
  // step by step down and up again
  for (int v = mig::Embedded().latest() - 1; v >= 0; --v) db.Migrate(v);
  CHECK(CountTables(conn) == 0);
  db.Migrate();
}

TEST_CASE("ERP migration SQL is safe to run twice (IF NOT EXISTS / IF EXISTS)", "[integration][migrations]") {
  TenantDatabase db;
  auto conn = db.ConnectAsApp();
  conn.Exec("SET ROLE " + tenant::pg::QuoteIdentifier(db.owner()));
  for (const auto& m : mig::Embedded().migrations()) {
    conn.ExecScript(m.up_sql);
    conn.ExecScript(m.up_sql);
  }
  CHECK(CountTables(conn) == static_cast<int>(kTables.size()));
  const auto& all = mig::Embedded().migrations();
  for (auto it = all.rbegin(); it != all.rend(); ++it) {
    conn.ExecScript(it->down_sql);
    conn.ExecScript(it->down_sql);
  }
  CHECK(CountTables(conn) == 0);
}

TEST_CASE("schema constraints back the API: no negative stock, money integers, ISO codes", "[integration][migrations]") {
  TenantDatabase db;
  db.Migrate();
  auto conn = db.ConnectAsApp();
  conn.Exec("INSERT INTO products (sku, name, unit_price_minor, currency, stock_quantity) VALUES ('A', 'a', 100, 'EUR', 1)");
  CHECK_THROWS_AS(conn.Exec("UPDATE products SET stock_quantity = stock_quantity - 2 WHERE sku = 'A'"),
                  tenant::pg::CheckViolation);
  CHECK_THROWS_AS(conn.Exec("INSERT INTO products (sku, name, unit_price_minor, currency) VALUES ('B', 'b', 1, 'eur')"),
                  tenant::pg::CheckViolation);
  CHECK_THROWS_AS(conn.Exec("INSERT INTO products (sku, name, unit_price_minor, currency) VALUES ('C', 'c', -1, 'EUR')"),
                  tenant::pg::CheckViolation);
  CHECK_THROWS_AS(conn.Exec("INSERT INTO products (sku, name, unit_price_minor, currency) VALUES ('A', 'dup', 1, 'EUR')"),
                  tenant::pg::UniqueViolation);
  CHECK(conn.Exec("SELECT data_type FROM information_schema.columns WHERE table_name = 'products' AND column_name = 'unit_price_minor'")
            .Value(0, 0) == "bigint");
}

TEST_CASE("first-admin seeding is idempotent and audited", "[integration][migrations]") {
  TenantDatabase db;
  db.Migrate();
  auto conn = db.ConnectAsApp();
  auto first = tenant::auth::SeedUser(conn, "Admin", "a-strong-password-1", "admin", "operator");
  CHECK(first.created);
  auto second = tenant::auth::SeedUser(conn, "admin", "another-password-2", "admin", "operator");
  CHECK_FALSE(second.created);
  auto row = conn.Exec("SELECT username, role, password_hash FROM users");
  REQUIRE(row.rows() == 1);
  CHECK(row.Value(0, 0) == "admin");
  CHECK(std::string(row.Value(0, 2)).rfind("$2b$12$", 0) == 0);
  CHECK(conn.Exec("SELECT count(*) FROM audit_log WHERE entity = 'user' AND request_id = 'operator'").Int64(0, 0) == 1);
  CHECK_THROWS_AS(tenant::auth::SeedUser(conn, "x", "short", "admin"), std::invalid_argument);
  CHECK_THROWS_AS(tenant::auth::SeedUser(conn, "y", "long-enough-pass", "root"), std::invalid_argument);
}

// The operator's form (SeedFirstUserSql): the first user only, on the newest schema and on
// one pinned below audit_log (migration 4), where the audited form would fail.
TEST_CASE("first-user seeding inserts only into an empty users table, with or without audit_log",
          "[integration][migrations]") {
  auto seed = [](tenant::pg::Connection& conn, const std::string& name, bool audited) {
    tenant::pg::Params params{name, "$2b$10$notarealhashnotarealhashnotarealhashnotarealhashnot", "admin"};
    if (audited) params.emplace_back("tenant-operator");
    return conn.Exec(tenant::auth::SeedFirstUserSql(audited), params).rows();
  };
  for (const std::optional<int> target : {std::optional<int>{}, std::optional<int>{3}}) {
    TenantDatabase db;
    db.Migrate(target);
    auto conn = db.ConnectAsApp();
    const bool audited = conn.Exec(tenant::auth::AuditLogExistsSql()).Bool(0, "audit_log");
    CHECK(audited == !target.has_value());
    CHECK(seed(conn, "first", audited) == 1);
    CHECK(seed(conn, "second", audited) == 0);  // users is no longer empty
    CHECK(conn.Exec("SELECT count(*) FROM users").Int64(0, 0) == 1);
    if (audited) CHECK(conn.Exec("SELECT count(*) FROM audit_log WHERE entity = 'user'").Int64(0, 0) == 1);
  }
}
