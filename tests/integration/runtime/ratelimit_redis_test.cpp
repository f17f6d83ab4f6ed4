// Rate limiting against a real Redis: 429 + headers, Redis stopped -> fallback limiter and
// backend error metric, Redis back -> used again; Redis paused -> timeout fallback.
#include <catch2/catch.hpp>

#include <hiredis.h>
#include <nlohmann/json.hpp>

#include "runtime/ratelimit/redis_limiter.hpp"
#include "tests/integration/runtime/server_test_app.hpp"
#include "tests/integration/runtime/server_test_client.hpp"
#include "tests/support/redis_server.hpp"

using namespace tenant;
using namespace tenant::api;
namespace th = tenant::test::http;

namespace {

void Routes(server::Router& r, app::AppContext& ctx) {
  r.Get("/test/limited", [](server::Request&) { return server::Response::Json(200, {{"ok", true}}); },
        server::RouteOptions::Anonymous());
  r.Post("/test/login", [&ctx](server::Request& req) {
    ctx.rate_limiter.EnforceLogin(std::string(req.Query("user").value_or("")), req);
    return server::Response::NoContent();
  }, server::RouteOptions::Anonymous().Class(server::RateClass::kAuth));
}

config::Config LimitedConfig(const std::string& tenant) {
  auto& redis = test::RedisServer::Shared();
  auto cfg = test::BaseConfig();
  cfg.tenant_id = tenant;  // own key space per test case
  cfg.redis_url = redis.url();
  cfg.rate_limit.enabled = true;
  cfg.rate_limit.read = {5, std::chrono::minutes(1), 5};
  cfg.rate_limit.auth = {1000, std::chrono::minutes(1), 1000};
  cfg.rate_limit.login = {2, std::chrono::minutes(1), 2};
  return cfg;
}

double MetricValue(const std::string& text, const std::string& series) {
  // Sample lines only (a HELP line also starts with the name after "# HELP ").
  const std::string needle = "\n" + series + " ";
  auto pos = text.find(needle);
  if (pos == std::string::npos) return 0;
  return std::stod(text.substr(pos + needle.size()));
}

double BackendErrors(const std::string& text) {
  double total = 0;
  std::size_t pos = 0;
  const std::string name = "rate_limit_backend_errors_total{";
  while ((pos = text.find("\n" + name, pos)) != std::string::npos) {
    ++pos;
    auto space = text.find("} ", pos);
    total += std::stod(text.substr(space + 2));
    pos = space;
  }
  return total;
}

bool RedisHasKey(const std::string& key) {
  auto& redis = test::RedisServer::Shared();
  redisContext* c = redisConnect(redis.host().c_str(), redis.port());
  if (c == nullptr || c->err) {
    if (c) redisFree(c);
    return false;
  }
  auto* a = static_cast<redisReply*>(redisCommand(c, "AUTH %s", redis.password().c_str()));
  if (a) freeReplyObject(a);
  auto* r = static_cast<redisReply*>(redisCommand(c, "EXISTS %s", key.c_str()));
  bool exists = r && r->type == REDIS_REPLY_INTEGER && r->integer == 1;
  if (r) freeReplyObject(r);
  redisFree(c);
  return exists;
}

}  // namespace

TEST_CASE("requests over the limit get 429 with RateLimit headers and Retry-After", "[integration][ratelimit]") {
  auto app = test::StartApp(LimitedConfig("rl-basic"), Routes);
  th::Client c(app->port());
  for (int i = 0; i < 5; ++i) {
    auto r = c.Send("GET", "/test/limited");
    REQUIRE(r.status == 200);
    CHECK(r.Header("ratelimit-limit") == "5");
    CHECK(r.Header("ratelimit-remaining") == std::to_string(4 - i));
    CHECK(std::stoi(r.Header("ratelimit-reset")) >= 1);
  }
  auto limited = c.Send("GET", "/test/limited");
  CHECK(limited.status == 429);
  CHECK(limited.Header("content-type") == "application/problem+json");
  CHECK(std::stoi(limited.Header("retry-after")) >= 1);
  CHECK(limited.Header("ratelimit-remaining") == "0");
  CHECK(RedisHasKey("rl:rl-basic:read:ip:127.0.0.1"));
  // health, metrics and openapi are never limited
  for (int i = 0; i < 10; ++i) CHECK(c.Send("GET", "/health/live").status == 200);
  auto metrics = c.Send("GET", "/metrics").body;
  CHECK(MetricValue(metrics, "rate_limit_rejected_total{class=\"read\"}") == 1);
}

TEST_CASE("login has its own stricter limit per username and IP", "[integration][ratelimit]") {
  auto app = test::StartApp(LimitedConfig("rl-login"), Routes);
  th::Client c(app->port());
  CHECK(c.Send("POST", "/test/login?user=alice").status == 204);
  CHECK(c.Send("POST", "/test/login?user=alice").status == 204);
  auto third = c.Send("POST", "/test/login?user=alice");
  CHECK(third.status == 429);
  CHECK(third.Has("retry-after"));
  CHECK(c.Send("POST", "/test/login?user=bob").status == 204);  // another username
}

TEST_CASE("Redis down: fallback limiter, metric, and Redis used again when back", "[integration][ratelimit]") {
  auto& redis = test::RedisServer::Shared();
  auto app = test::StartApp(LimitedConfig("rl-outage"), Routes);
  th::Client c(app->port());
  REQUIRE(c.Send("GET", "/test/limited").status == 200);
  REQUIRE(BackendErrors(c.Send("GET", "/metrics").body) == 0);

  redis.Stop();
  // The fallback limiter keeps answering (fail-open) and still enforces a limit.
  int ok = 0, limited = 0;
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 8; ++i) {
    auto r = c.Send("GET", "/test/limited");
    if (r.status == 200) ++ok;
    if (r.status == 429) ++limited;
    CHECK(r.Has("ratelimit-limit"));
  }
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(2));
  CHECK(ok == 5);
  CHECK(limited == 3);
  auto metrics = c.Send("GET", "/metrics").body;
  CHECK(BackendErrors(metrics) >= 1);
  CHECK(MetricValue(metrics, "rate_limit_backend_up") == 0);
  CHECK(MetricValue(metrics, "rate_limit_fallback_decisions_total") >= 8);
  // readiness reports Redis as failing
  auto ready = c.Send("GET", "/health/ready");
  CHECK(ready.status == 503);
  CHECK(nlohmann::json::parse(ready.body)["checks"]["redis"]["status"] == "fail");

  redis.Start();
  // Reconnect with backoff (at most ~5 s): the gauge flips back and Redis sees the key again.
  bool back = th::Eventually([&] {
    c.Send("GET", "/test/limited");
    return MetricValue(c.Send("GET", "/metrics").body, "rate_limit_backend_up") == 1;
  }, std::chrono::seconds(15), std::chrono::milliseconds(250));
  CHECK(back);
  CHECK(RedisHasKey("rl:rl-outage:read:ip:127.0.0.1"));
}

TEST_CASE("Redis too slow: the 50 ms timeout falls back instead of waiting", "[integration][ratelimit]") {
  auto& redis = test::RedisServer::Shared();
  auto cfg = LimitedConfig("rl-slow");
  cfg.rate_limit.read = {1000, std::chrono::minutes(1), 1000};
  auto app = test::StartApp(cfg, Routes);
  th::Client c(app->port());
  REQUIRE(c.Send("GET", "/test/limited").status == 200);
  {
    redisContext* ctl = redisConnect(redis.host().c_str(), redis.port());
    REQUIRE(ctl != nullptr);
    REQUIRE(ctl->err == 0);
    auto* a = static_cast<redisReply*>(redisCommand(ctl, "AUTH %s", redis.password().c_str()));
    if (a) freeReplyObject(a);
    // Every other client is paused for 1.5 s: commands hang, as with an overloaded server.
    auto* p = static_cast<redisReply*>(redisCommand(ctl, "CLIENT PAUSE 1500 ALL"));
    REQUIRE(p != nullptr);
    freeReplyObject(p);
    redisFree(ctl);
  }
  auto start = std::chrono::steady_clock::now();
  auto r = c.Send("GET", "/test/limited");
  auto took = std::chrono::steady_clock::now() - start;
  CHECK(r.status == 200);
  CHECK(took < std::chrono::milliseconds(500));
  auto metrics = c.Send("GET", "/metrics").body;
  CHECK(MetricValue(metrics, "rate_limit_backend_errors_total{reason=\"timeout\"}") >= 1);
  std::this_thread::sleep_for(std::chrono::milliseconds(1600));
}
