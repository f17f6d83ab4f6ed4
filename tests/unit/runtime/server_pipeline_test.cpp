#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "common/metrics/metrics.hpp"
#include "runtime/ratelimit/gcra.hpp"
#include "runtime/ratelimit/rate_limiter.hpp"
#include "runtime/server/http_error.hpp"
#include "runtime/server/pipeline.hpp"

using namespace tenant::api;
using namespace tenant::api::server;
using nlohmann::json;

namespace {

Request Make(std::string method, std::string path, std::vector<std::pair<std::string, std::string>> headers = {}) {
  Request r;
  r.method = std::move(method);
  r.path = std::move(path);
  r.target = r.path;
  r.headers = std::move(headers);
  r.client_ip = "10.0.0.1";
  return r;
}

void CheckSecurityHeaders(const Response& res) {
  CHECK(res.FindHeader("Strict-Transport-Security") != nullptr);
  REQUIRE(res.FindHeader("X-Content-Type-Options") != nullptr);
  CHECK(*res.FindHeader("X-Content-Type-Options") == "nosniff");
  CHECK(*res.FindHeader("X-Frame-Options") == "DENY");
  CHECK(*res.FindHeader("Content-Security-Policy") == "default-src 'none'; frame-ancestors 'none'");
  CHECK(*res.FindHeader("Referrer-Policy") == "no-referrer");
  CHECK(*res.FindHeader("Cache-Control") == "no-store");
  CHECK(res.FindHeader("Server") == nullptr);
  REQUIRE(res.FindHeader("X-Request-ID") != nullptr);
}

struct Fixture {
  tenant::metrics::Registry registry;
  Router router;
  HttpMetrics metrics{registry};
  ratelimit::Settings settings;
  std::unique_ptr<ratelimit::RateLimiter> limiter;
  std::unique_ptr<Pipeline> pipeline;
  std::vector<std::string> server_errors;

  Fixture() {
    settings.read = {3, std::chrono::minutes(1), 3};
    limiter = std::make_unique<ratelimit::RateLimiter>(settings, std::make_shared<ratelimit::LocalLimiter>(), registry);
    router.Get("/open", [](Request& r) { return Response::Json(200, {{"id", r.request_id}}); },
               RouteOptions::Anonymous());
    router.Get("/items/{id}", [](Request& r) { return Response::Json(200, {{"id", r.PathParam("id")}, {"sub", r.User().sub}}); });
    router.Post("/admin", [](Request&) { return Response::NoContent(); }, RouteOptions::Roles({"admin"}).Json());
    router.Get("/boom", [](Request&) -> Response { throw std::runtime_error("SELECT secret FROM users failed"); },
               RouteOptions::Anonymous());
    router.Get("/leak", [](Request&) -> Response {
      throw std::runtime_error("connect to postgresql://app:dbpw@db/x failed, password=hunter2");
    }, RouteOptions::Anonymous());
    router.Get("/invalid", [](Request&) -> Response { throw ValidationFailed({{"a", "bad"}, {"b", "worse"}}); },
               RouteOptions::Anonymous());
    PipelineOptions o;
    o.cors_origins = {"https://app.example.com"};
    o.tenant = "acme";
    pipeline = std::make_unique<Pipeline>(router, o, limiter.get(), &metrics);
    pipeline->SetAuthHook([](const Request& r) -> Principal {
      auto h = r.Header("authorization");
      if (!h) throw Unauthorized("missing bearer token");
      if (*h == "Bearer admin") return {"1", "admin", "acme", "j1", "root"};
      if (*h == "Bearer clerk") return {"2", "clerk", "acme", "j2", "bob"};
      throw Unauthorized("invalid token");
    });
    pipeline->SetServerErrorHook([this](const Request&, const Response&, const std::string& e) { server_errors.push_back(e); });
  }

  Response Run(Request r) {
    metrics.RequestStarted();
    Response res = pipeline->Handle(r);
    pipeline->Record(r, res, 0.001);
    return res;
  }
};

}  // namespace

TEST_CASE("request ids are echoed when valid and generated otherwise", "[server][pipeline]") {
  Fixture f;
  auto res = f.Run(Make("GET", "/open", {{"x-request-id", "abc.DEF_1-2"}}));
  CHECK(*res.FindHeader("X-Request-ID") == "abc.DEF_1-2");
  CHECK(json::parse(res.body)["id"] == "abc.DEF_1-2");

  auto bad = f.Run(Make("GET", "/open", {{"x-request-id", "has space<script>"}}));
  CHECK(*bad.FindHeader("X-Request-ID") != "has space<script>");
  CHECK(IsValidRequestId(*bad.FindHeader("X-Request-ID")));
  CHECK_FALSE(IsValidRequestId(std::string(129, 'a')));
  CHECK(IsValidRequestId(std::string(128, 'a')));
  CHECK(GenerateRequestId() != GenerateRequestId());
}

TEST_CASE("every response carries the security headers", "[server][pipeline]") {
  Fixture f;
  for (auto [method, path] : std::vector<std::pair<std::string, std::string>>{
           {"GET", "/open"}, {"GET", "/missing"}, {"GET", "/items/1"}, {"DELETE", "/open"}, {"GET", "/boom"}}) {
    INFO(method << " " << path);
    CheckSecurityHeaders(f.Run(Make(method, path)));
  }
}

TEST_CASE("errors are problem+json with the request id", "[server][pipeline]") {
  Fixture f;
  auto nf = f.Run(Make("GET", "/missing", {{"x-request-id", "rid-1"}}));
  CHECK(nf.status == 404);
  CHECK(nf.content_type == "application/problem+json");
  auto body = json::parse(nf.body);
  CHECK(body["type"] == "https://tenancy.erp.dev/problems/not_found");
  CHECK(body["status"] == 404);
  CHECK(body["request_id"] == "rid-1");
  CHECK(body.contains("title"));

  auto v = f.Run(Make("GET", "/invalid"));
  CHECK(v.status == 422);
  auto vb = json::parse(v.body);
  REQUIRE(vb["errors"].size() == 2);
  CHECK(vb["errors"][0] == json{{"field", "a"}, {"message", "bad"}});

  auto m = f.Run(Make("PUT", "/open"));
  CHECK(m.status == 405);
  CHECK(*m.FindHeader("Allow") == "GET");
}

TEST_CASE("unhandled exceptions become a 500 without internal text", "[server][pipeline]") {
  Fixture f;
  auto res = f.Run(Make("GET", "/boom"));
  CHECK(res.status == 500);
  CHECK(res.body.find("SELECT") == std::string::npos);
  CHECK(res.body.find("secret") == std::string::npos);
  REQUIRE(f.server_errors.size() == 1);
  CHECK(f.server_errors[0].find("SELECT") != std::string::npos);
}

TEST_CASE("internal error text is scrubbed before logging and reporting", "[server][pipeline]") {
  Fixture f;
  CHECK(f.Run(Make("GET", "/leak")).status == 500);
  REQUIRE(f.server_errors.size() == 1);
  CHECK(f.server_errors[0].find("dbpw") == std::string::npos);
  CHECK(f.server_errors[0].find("hunter2") == std::string::npos);
  CHECK(f.server_errors[0].find("connect to") != std::string::npos);
}

TEST_CASE("authentication, roles and JSON content type are enforced", "[server][pipeline]") {
  Fixture f;
  auto anon = f.Run(Make("GET", "/items/5"));
  CHECK(anon.status == 401);
  CHECK(*anon.FindHeader("WWW-Authenticate") == "Bearer");

  auto ok = f.Run(Make("GET", "/items/5", {{"authorization", "Bearer clerk"}}));
  CHECK(ok.status == 200);
  CHECK(json::parse(ok.body) == json{{"id", "5"}, {"sub", "2"}});

  auto forbidden = f.Run(Make("POST", "/admin", {{"authorization", "Bearer clerk"}, {"content-type", "application/json"}}));
  CHECK(forbidden.status == 403);
  auto wrong_type = f.Run(Make("POST", "/admin", {{"authorization", "Bearer admin"}, {"content-type", "text/plain"}}));
  CHECK(wrong_type.status == 415);
  auto admin = f.Run(Make("POST", "/admin", {{"authorization", "Bearer admin"}, {"content-type", "application/json"}}));
  CHECK(admin.status == 204);
}

TEST_CASE("rate limiting answers 429 with RateLimit headers", "[server][pipeline][ratelimit]") {
  Fixture f;
  for (int i = 0; i < 3; ++i) {
    auto res = f.Run(Make("GET", "/open"));
    REQUIRE(res.status == 200);
    CHECK(*res.FindHeader("RateLimit-Limit") == "3");
    CHECK(*res.FindHeader("RateLimit-Remaining") == std::to_string(2 - i));
  }
  auto limited = f.Run(Make("GET", "/open"));
  CHECK(limited.status == 429);
  CHECK(limited.content_type == "application/problem+json");
  REQUIRE(limited.FindHeader("Retry-After") != nullptr);
  CHECK(std::stoi(*limited.FindHeader("Retry-After")) >= 1);
  CHECK(*limited.FindHeader("RateLimit-Remaining") == "0");
  // another client IP has its own budget
  auto other = Make("GET", "/open");
  other.client_ip = "10.0.0.2";
  CHECK(f.Run(other).status == 200);
  CHECK(f.registry.Render().find("rate_limit_rejected_total{class=\"read\"} 1") != std::string::npos);
}

TEST_CASE("CORS allow-list and preflight", "[server][pipeline][cors]") {
  Fixture f;
  auto pre = f.Run(Make("OPTIONS", "/items/1", {{"origin", "https://app.example.com"},
                                                {"access-control-request-method", "GET"},
                                                {"access-control-request-headers", "Authorization, Content-Type"}}));
  CHECK(pre.status == 204);
  CHECK(*pre.FindHeader("Access-Control-Allow-Origin") == "https://app.example.com");
  CHECK(pre.FindHeader("Access-Control-Allow-Methods")->find("GET") != std::string::npos);
  CheckSecurityHeaders(pre);

  auto evil = f.Run(Make("OPTIONS", "/items/1", {{"origin", "https://evil.example.com"},
                                                 {"access-control-request-method", "GET"}}));
  CHECK(evil.status == 403);
  CHECK(evil.FindHeader("Access-Control-Allow-Origin") == nullptr);

  auto bad_header = f.Run(Make("OPTIONS", "/items/1", {{"origin", "https://app.example.com"},
                                                       {"access-control-request-method", "GET"},
                                                       {"access-control-request-headers", "X-Evil"}}));
  CHECK(bad_header.status == 403);

  auto actual = f.Run(Make("GET", "/open", {{"origin", "https://app.example.com"}}));
  CHECK(*actual.FindHeader("Access-Control-Allow-Origin") == "https://app.example.com");
  CHECK(*actual.FindHeader("Vary") == "Origin");
  auto other = f.Run(Make("GET", "/open", {{"origin", "https://evil.example.com"}}));
  CHECK(other.FindHeader("Access-Control-Allow-Origin") == nullptr);
}

TEST_CASE("metrics use route templates, never raw paths", "[server][pipeline][metrics]") {
  Fixture f;
  f.Run(Make("GET", "/items/123", {{"authorization", "Bearer clerk"}}));
  f.Run(Make("GET", "/no/such/path/999"));
  auto text = f.registry.Render();
  CHECK(text.find("http_requests_total{method=\"GET\",route=\"/items/{id}\",status=\"200\"} 1") != std::string::npos);
  CHECK(text.find("route=\"unmatched\"") != std::string::npos);
  CHECK(text.find("/items/123") == std::string::npos);
  CHECK(text.find("999") == std::string::npos);
  CHECK(text.find("http_requests_in_flight 0") != std::string::npos);
}
