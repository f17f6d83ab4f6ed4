// Readiness against a real PostgreSQL (TLS) through the domain's pool: ready with the
// schema migrated, 503 while PostgreSQL is stopped, ready again when it is back.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "common/migrations/runner.hpp"
#include "common/pg/connection.hpp"
#include "common/pg/quote.hpp"
#include "runtime/handlers/routes.hpp"
#include "tests/integration/runtime/server_test_app.hpp"
#include "tests/integration/runtime/server_test_client.hpp"
#include "tests/support/postgres_server.hpp"

using namespace tenant;
using namespace tenant::api;
using nlohmann::json;
namespace th = tenant::test::http;

namespace {

// A fresh database; migrated to `version` (nullopt = latest).
std::string FreshDatabase(const std::string& name, std::optional<int> version) {
  auto& pg = test::PostgresServer::Shared();
  auto admin = pg::Connection::Connect(pg.ConnInfo("postgres"));
  admin.Exec("DROP DATABASE IF EXISTS " + pg::QuoteIdentifier(name) + " WITH (FORCE)");
  admin.Exec("CREATE DATABASE " + pg::QuoteIdentifier(name));
  auto conn = pg::Connection::Connect(pg.ConnInfo(name));
  migrations::Runner runner(conn, migrations::Embedded());
  runner.Up(version);
  return pg.ConnInfo(name);
}

}  // namespace

TEST_CASE("readiness follows PostgreSQL availability", "[integration][health]") {
  auto& pg = test::PostgresServer::Shared();
  auto cfg = test::BaseConfig();
  cfg.database_url = FreshDatabase("erp_health_ready", std::nullopt);
  cfg.db_pool_size = 2;
  auto app = test::StartApp(cfg, [](server::Router& r, app::AppContext& ctx) { handlers::RegisterApiRoutes(r, ctx); });
  int port = app->port();

  auto ready = th::Send(port, "GET", "/health/ready");
  INFO(ready.body);
  REQUIRE(ready.status == 200);
  auto body = json::parse(ready.body);
  CHECK(body["checks"]["database"]["status"] == "ok");
  CHECK(body["checks"]["schema"]["status"] == "ok");

  auto summary = json::parse(th::Send(port, "GET", "/health").body);
  CHECK(summary["status"] == "ok");
  CHECK(summary["tenant"] == "acme");
  CHECK(summary["version"] == TENANT_VERSION);
  CHECK(summary["checks"]["database"]["latency_ms"].is_number());
  CHECK(summary["uptime_seconds"].is_number());

  pg.Stop();
  bool down = th::Eventually([&] { return th::Send(port, "GET", "/health/ready").status == 503; },
                             std::chrono::seconds(10));
  auto not_ready = th::Send(port, "GET", "/health/ready");
  pg.Start();
  CHECK(down);
  CHECK(not_ready.Header("content-type") == "application/problem+json");
  CHECK(json::parse(not_ready.body)["checks"]["database"]["status"] == "fail");
  CHECK(th::Send(port, "GET", "/health/live").status == 200);  // liveness does not depend on the DB

  bool up = th::Eventually([&] { return th::Send(port, "GET", "/health/ready").status == 200; },
                           std::chrono::seconds(20), std::chrono::milliseconds(250));
  CHECK(up);
}

TEST_CASE("readiness requires the schema version this binary needs", "[integration][health]") {
  auto cfg = test::BaseConfig();
  cfg.database_url = FreshDatabase("erp_health_old_schema", 1);
  cfg.db_pool_size = 1;
  auto app = test::StartApp(cfg, [](server::Router& r, app::AppContext& ctx) { handlers::RegisterApiRoutes(r, ctx); });
  auto r = th::Send(app->port(), "GET", "/health/ready");
  CHECK(r.status == 503);
  auto body = json::parse(r.body);
  CHECK(body["checks"]["database"]["status"] == "ok");
  CHECK(body["checks"]["schema"]["status"] == "fail");
  CHECK(body["detail"].get<std::string>().find("schema") != std::string::npos);
}
