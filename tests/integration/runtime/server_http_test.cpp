// The HTTP layer over real sockets: keep-alive, size limits, slow clients, deadlines, and
// the headers every response must carry.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>
#include <cstdlib>
#include <fstream>
#include <thread>

#include "runtime/server/http_error.hpp"
#include "tests/integration/runtime/server_test_app.hpp"
#include "tests/integration/runtime/server_test_client.hpp"
#include "tests/support/temp_dir.hpp"

using namespace tenant;
using namespace tenant::api;
using nlohmann::json;
namespace th = tenant::test::http;

namespace {

void TestRoutes(server::Router& r, app::AppContext& ctx) {
  ctx.authenticate = [](const server::Request& req) -> server::Principal {
    if (req.Header("authorization") == std::optional<std::string_view>("Bearer good")) return {"7", "clerk", "acme", "j", "u"};
    throw server::Unauthorized("missing or invalid bearer token");
  };
  r.Get("/test/hello", [](server::Request&) { return server::Response::Json(200, {{"hello", "world"}}); },
        server::RouteOptions::Anonymous());
  r.Post("/test/echo", [](server::Request& req) {
    return server::Response::Json(200, {{"size", req.body.size()}});
  }, server::RouteOptions::Anonymous().Json());
  r.Get("/test/slow", [](server::Request&) {
    std::this_thread::sleep_for(std::chrono::milliseconds(800));
    return server::Response::Json(200, {{"slow", true}});
  }, server::RouteOptions::Anonymous());
  r.Get("/test/private", [](server::Request&) { return server::Response::NoContent(); });
}

void CheckCommonHeaders(const th::Reply& r) {
  CHECK(r.Header("strict-transport-security").find("max-age=") == 0);
  CHECK(r.Header("x-content-type-options") == "nosniff");
  CHECK(r.Header("x-frame-options") == "DENY");
  CHECK(r.Header("content-security-policy") == "default-src 'none'; frame-ancestors 'none'");
  CHECK(r.Header("referrer-policy") == "no-referrer");
  CHECK(r.Header("cache-control") == "no-store");
  CHECK_FALSE(r.Has("server"));
  CHECK(server::IsValidRequestId(r.Header("x-request-id")));
}

void CheckProblem(const th::Reply& r, int status) {
  CHECK(r.status == status);
  CHECK(r.Header("content-type") == "application/problem+json");
  auto body = json::parse(r.body);
  CHECK(body["status"] == status);
  CHECK(body["request_id"] == r.Header("x-request-id"));
  CHECK(body["type"].get<std::string>().rfind("https://tenancy.erp.dev/problems/", 0) == 0);
  CHECK(body.contains("title"));
}

}  // namespace

TEST_CASE("keep-alive serves several requests on one connection", "[integration][server]") {
  auto app = test::StartApp(test::BaseConfig(), TestRoutes);
  th::Client c(app->port());
  for (int i = 0; i < 3; ++i) {
    auto r = c.Send("GET", "/test/hello", {{"X-Request-ID", "keep-" + std::to_string(i)}});
    CHECK(r.status == 200);
    CHECK(r.keep_alive);
    CHECK(r.Header("x-request-id") == "keep-" + std::to_string(i));
    CheckCommonHeaders(r);
  }
  auto head = c.Send("HEAD", "/test/hello");
  CHECK(head.status == 200);
  CHECK(head.body.empty());
}

TEST_CASE("every response carries the security headers and a request id", "[integration][server]") {
  auto app = test::StartApp(test::BaseConfig(), TestRoutes);
  int port = app->port();
  std::vector<th::Reply> replies = {
      th::Send(port, "GET", "/test/hello"),
      th::Send(port, "GET", "/does/not/exist"),
      th::Send(port, "GET", "/test/private"),
      th::Send(port, "GET", "/test/private", {{"Authorization", "Bearer good"}}),
      th::Send(port, "DELETE", "/test/hello"),
      th::Send(port, "POST", "/test/echo", {{"Content-Type", "text/plain"}}, "x"),
      th::Send(port, "GET", "/health/live"),
      th::Send(port, "GET", "/health/ready"),
      th::Send(port, "GET", "/metrics"),
      th::Send(port, "GET", "/openapi.json"),
  };
  for (const auto& r : replies) {
    INFO(r.status << " " << r.body.substr(0, 200));
    CheckCommonHeaders(r);
  }
  CheckProblem(replies[1], 404);
  CheckProblem(replies[2], 401);
  CHECK(replies[3].status == 204);
  CheckProblem(replies[4], 405);
  CheckProblem(replies[5], 415);
  CheckProblem(replies[7], 503);  // no database behind this app
}

TEST_CASE("bodies over 1 MiB are refused with 413", "[integration][server]") {
  auto app = test::StartApp(test::BaseConfig(), TestRoutes);
  std::string big(1024 * 1024 + 1, 'a');
  auto r = th::Send(app->port(), "POST", "/test/echo", {{"Content-Type", "application/json"}}, big);
  CheckProblem(r, 413);
  CheckCommonHeaders(r);
  auto ok = th::Send(app->port(), "POST", "/test/echo", {{"Content-Type", "application/json"}},
                     "\"" + std::string(1000, 'b') + "\"");
  CHECK(ok.status == 200);
  CHECK(json::parse(ok.body)["size"] == 1002);
}

TEST_CASE("headers over 16 KiB are refused with 431", "[integration][server]") {
  auto app = test::StartApp(test::BaseConfig(), TestRoutes);
  auto r = th::Send(app->port(), "GET", "/test/hello", {{"X-Filler", std::string(17 * 1024, 'h')}});
  CheckProblem(r, 431);
  auto fine = th::Send(app->port(), "GET", "/test/hello", {{"X-Filler", std::string(8 * 1024, 'h')}});
  CHECK(fine.status == 200);
}

TEST_CASE("slow clients are disconnected by the header and body timeouts", "[integration][server]") {
  auto cfg = test::BaseConfig();
  cfg.header_timeout_ms = 300;
  cfg.body_timeout_ms = 300;
  auto app = test::StartApp(cfg, TestRoutes);
  auto start = std::chrono::steady_clock::now();
  auto partial_header = th::RawExchange(app->port(), "GET /test/hello HTTP/1.1\r\nHost: x\r\n", std::chrono::seconds(3));
  auto waited = std::chrono::steady_clock::now() - start;
  CHECK(partial_header.closed);
  CHECK(partial_header.data.empty());
  CHECK(waited < std::chrono::seconds(2));

  auto partial_body = th::RawExchange(app->port(),
                                      "POST /test/echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                                      "Content-Length: 100\r\n\r\n{\"a\":",
                                      std::chrono::seconds(3));
  CHECK(partial_body.closed);
  // a complete request on a fresh connection still works
  CHECK(th::Send(app->port(), "GET", "/test/hello").status == 200);
}

TEST_CASE("a request past its deadline gets 503", "[integration][server]") {
  auto cfg = test::BaseConfig();
  cfg.request_timeout_ms = 200;
  auto app = test::StartApp(cfg, TestRoutes);
  auto start = std::chrono::steady_clock::now();
  auto r = th::Send(app->port(), "GET", "/test/slow");
  auto took = std::chrono::steady_clock::now() - start;
  CheckProblem(r, 503);
  CHECK(r.Has("retry-after"));
  CHECK(took < std::chrono::milliseconds(700));  // answered at the deadline, not after the handler
  CHECK(th::Send(app->port(), "GET", "/test/hello").status == 200);
}

TEST_CASE("metrics and openapi are served", "[integration][server]") {
  auto app = test::StartApp(test::BaseConfig(), TestRoutes);
  th::Send(app->port(), "GET", "/test/hello");
  auto m = th::Send(app->port(), "GET", "/metrics");
  CHECK(m.status == 200);
  CHECK(m.Header("content-type").find("text/plain") == 0);
  CHECK(m.body.find("http_requests_total{method=\"GET\",route=\"/test/hello\",status=\"200\"} 1") != std::string::npos);
  CHECK(m.body.find("build_info{") != std::string::npos);
  CHECK(m.body.find("http_requests_in_flight") != std::string::npos);
  // The exposition passes promtool's linter (names, help, types, histogram layout).
  REQUIRE(std::system("command -v promtool >/dev/null") == 0);
  test::TempDir dir("api-metrics");
  auto file = dir.path() / "metrics.txt";
  {
    std::ofstream out(file);
    out << m.body;
  }
  std::string cmd = "promtool check metrics < '" + file.string() + "' > '" + (dir.path() / "promtool.out").string() + "' 2>&1";
  int rc = std::system(cmd.c_str());
  std::ifstream lint(dir.path() / "promtool.out");
  std::string lint_out((std::istreambuf_iterator<char>(lint)), std::istreambuf_iterator<char>());
  INFO(lint_out);
  CHECK(rc == 0);
  auto o = th::Send(app->port(), "GET", "/openapi.json");
  REQUIRE(o.status == 200);
  auto doc = json::parse(o.body);
  CHECK(doc["openapi"] == "3.1.0");
  CHECK(doc["paths"].contains("/health/ready"));
  CHECK(doc["paths"].contains("/metrics"));
}

TEST_CASE("Expect: 100-continue is answered before the body is sent", "[integration][server]") {
  auto app = test::StartApp(test::BaseConfig(), TestRoutes);
  auto r = th::RawExchange(app->port(),
                           "POST /test/echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                           "Content-Length: 2\r\nExpect: 100-continue\r\n\r\n",
                           std::chrono::milliseconds(500));
  CHECK(r.data.rfind("HTTP/1.1 100 Continue\r\n", 0) == 0);
}
