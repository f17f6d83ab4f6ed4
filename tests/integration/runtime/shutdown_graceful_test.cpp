// Graceful shutdown: in-flight requests complete, readiness turns 503, new connections are
// refused; and the real binary exits 0 on SIGTERM.
#include <catch2/catch.hpp>

#include <signal.h>

#include <fstream>
#include <future>
#include <nlohmann/json.hpp>

#include "tests/integration/runtime/server_test_app.hpp"
#include "tests/integration/runtime/server_test_client.hpp"
#include "tests/support/child_process.hpp"
#include "tests/support/free_port.hpp"
#include "tests/support/temp_dir.hpp"

using namespace tenant;
using namespace tenant::api;
namespace th = tenant::test::http;

TEST_CASE("shutdown lets in-flight requests finish and refuses new work", "[integration][shutdown]") {
  auto cfg = test::BaseConfig();
  cfg.shutdown_grace_seconds = 10;
  std::atomic<int> started{0};
  auto app = test::StartApp(cfg, [&started](server::Router& r, app::AppContext&) {
    r.Get("/test/slow", [&started](server::Request&) {
      started.fetch_add(1);
      std::this_thread::sleep_for(std::chrono::milliseconds(1500));
      return server::Response::Json(200, {{"done", true}});
    }, server::RouteOptions::Anonymous());
  });
  int port = app->port();
  th::Client observer(port);  // an established keep-alive connection
  REQUIRE(observer.Send("GET", "/health/live").status == 200);

  auto in_flight = std::async(std::launch::async, [port] { return th::Send(port, "GET", "/test/slow"); });
  REQUIRE(th::Eventually([&] { return started.load() == 1; }, std::chrono::seconds(5), std::chrono::milliseconds(10)));

  auto shutdown_start = std::chrono::steady_clock::now();
  auto shutdown = std::async(std::launch::async, [&app] { return app->Shutdown(); });
  std::this_thread::sleep_for(std::chrono::milliseconds(200));

  // Draining: readiness says 503 on the existing connection; new connections are refused.
  auto ready = observer.Send("GET", "/health/ready");
  CHECK(ready.status == 503);
  CHECK_FALSE(ready.keep_alive);
  CHECK_THROWS(th::Send(port, "GET", "/health/live"));

  auto slow = in_flight.get();
  CHECK(slow.status == 200);
  CHECK(slow.body == "{\"done\":true}");
  CHECK(shutdown.get());  // everything finished within the grace period
  CHECK(std::chrono::steady_clock::now() - shutdown_start < std::chrono::seconds(5));
}

TEST_CASE("the tenant-api binary drains and exits 0 on SIGTERM", "[integration][shutdown]") {
  std::string binary = std::string(TENANT_BINARY_DIR) + "/runtime/tenant-api";
  REQUIRE(std::filesystem::exists(binary));
  test::TempDir dir("api-server");
  int port = test::FreeLoopbackPort();
  test::ChildOptions opts;
  opts.argv = {binary, "serve"};
  opts.extra_env = {"DATABASE_URL=postgresql://nobody@127.0.0.1:1/none", "JWT_SIGNING_KEY=" + std::string(32, 'k'),
                    "PORT=" + std::to_string(port), "BIND_ADDRESS=127.0.0.1", "TENANT_ID=acme",
                    "SHUTDOWN_GRACE_SECONDS=5", "RATE_LIMIT_ENABLED=false"};
  opts.log_file = dir.path() / "server.log";
  test::ChildProcess child(opts);
  bool up = th::Eventually([&] {
    try {
      return th::Send(port, "GET", "/health/live").status == 200;
    } catch (const std::exception&) {
      return false;
    }
  }, std::chrono::seconds(20), std::chrono::milliseconds(100));
  REQUIRE(up);
  int code = child.Stop(SIGTERM, std::chrono::seconds(10));
  CHECK(code == 0);
}

TEST_CASE("invalid configuration exits 2 listing every problem", "[integration][shutdown][config]") {
  std::string binary = std::string(TENANT_BINARY_DIR) + "/runtime/tenant-api";
  REQUIRE(std::filesystem::exists(binary));
  test::TempDir dir("api-server");
  test::ChildOptions opts;
  opts.argv = {binary, "check-config"};
  opts.extra_env = {"ENVIRONMENT=production", "DEBUG=1", "JWT_SIGNING_KEY=short", "CORS_ORIGINS=*",
                    "DATABASE_URL=postgresql://u:topsecretpw@localhost/db"};
  opts.log_file = dir.path() / "out.log";
  test::ChildProcess child(opts);
  th::Eventually([&] { return !child.Running(); }, std::chrono::seconds(10));
  REQUIRE(child.ExitCode().has_value());
  CHECK(*child.ExitCode() == 2);
  std::ifstream in(dir.path() / "out.log");
  std::string out((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  for (const char* expected : {"DEBUG:", "JWT_SIGNING_KEY:", "CORS_ORIGINS:", "REDIS_URL:", "sslmode", "localhost"}) {
    CHECK(out.find(expected) != std::string::npos);
  }
  CHECK(out.find("topsecretpw") == std::string::npos);
}
