// Every log line written while a request is handled carries its request_id (issue 5 §3):
// a handler's own line, a line from the pool below it, and a line written on another thread
// that continues the request's work.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include <sstream>
#include <thread>

#include "common/log/log.hpp"
#include "common/metrics/metrics.hpp"
#include "runtime/db/pool.hpp"
#include "runtime/ratelimit/gcra.hpp"
#include "runtime/ratelimit/rate_limiter.hpp"
#include "runtime/server/pipeline.hpp"
#include "runtime/server/request_log.hpp"

using namespace tenant;
using namespace tenant::api;
using namespace tenant::api::server;
using nlohmann::json;

namespace {

std::vector<json> Lines(const std::string& text) {
  std::vector<json> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) out.push_back(json::parse(line));
  }
  return out;
}

const json* FindMsg(const std::vector<json>& lines, const std::string& msg) {
  for (const auto& l : lines) {
    if (l.value("msg", "") == msg) return &l;
  }
  return nullptr;
}

Request Make(std::string path, std::string request_id) {
  Request r;
  r.method = "GET";
  r.path = std::move(path);
  r.target = r.path;
  r.headers = {{"x-request-id", std::move(request_id)}};
  r.client_ip = "10.0.0.9";
  return r;
}

// Logging to `out` for the lifetime of this object, stderr again afterwards.
struct CapturedLog {
  std::ostringstream out;
  CapturedLog() { log::ConfigureForStream("tenant-api", log::Level::kInfo, out); }
  ~CapturedLog() { log::Configure("tests", "info"); }
  std::vector<json> Read() {
    log::Flush();
    return Lines(out.str());
  }
};

}  // namespace

TEST_CASE("request_log adds the request id of the request the thread works on", "[server][log]") {
  CHECK(CurrentRequestId().empty());
  CHECK(WithRequestId({{"a", 1}}).size() == 1);
  {
    RequestLogScope outer("req-outer");
    CHECK(CurrentRequestId() == "req-outer");
    {
      RequestLogScope inner("req-inner");
      auto f = WithRequestId({{"a", 1}});
      REQUIRE(f.size() == 2);
      CHECK(f[1].second == "req-inner");
      // an explicit request_id is kept, not duplicated
      CHECK(WithRequestId({{"request_id", "mine"}}).size() == 1);
    }
    CHECK(CurrentRequestId() == "req-outer");
    // another thread has no request until one is installed there
    std::string seen = "unset";
    std::thread([&] { seen = CurrentRequestId(); }).join();
    CHECK(seen.empty());
  }
  CHECK(CurrentRequestId().empty());
}

TEST_CASE("a handler's log lines and the pool's below it carry the request id", "[server][log]") {
  CapturedLog captured;
  metrics::Registry registry;
  // A database nobody listens on: the pool's connect fails at once and it logs a warning
  // from inside the handler's Acquire.
  db::PoolOptions po;
  po.conninfo = "host=127.0.0.1 port=1 dbname=x user=x connect_timeout=2";
  po.size = 1;
  po.registry = &registry;
  db::Pool pool(po);

  Router router;
  router.Get("/work", [](Request&) {
    request_log::Warn("Handler step", {{"step", 1}});
    return Response::NoContent();
  }, RouteOptions::Anonymous());
  router.Get("/db", [&pool](Request&) -> Response {
    auto lease = pool.Acquire(std::chrono::milliseconds(500));
    return Response::NoContent();
  }, RouteOptions::Anonymous());
  HttpMetrics metrics(registry);
  ratelimit::RateLimiter limiter(ratelimit::Settings{}, std::make_shared<ratelimit::LocalLimiter>(), registry);
  Pipeline pipeline(router, PipelineOptions{}, &limiter, &metrics);

  Request a = Make("/work", "req-handler-1");
  CHECK(pipeline.Handle(a).status == 204);
  Request b = Make("/db", "req-pool-2");
  CHECK(pipeline.Handle(b).status == 500);  // DatabaseUnavailable unmapped in this bare route

  const auto lines = captured.Read();
  const json* step = FindMsg(lines, "Handler step");
  REQUIRE(step != nullptr);
  CHECK((*step)["request_id"] == "req-handler-1");
  CHECK((*step)["step"] == 1);
  const json* connect = FindMsg(lines, "Database connect failed");
  REQUIRE(connect != nullptr);
  CHECK((*connect)["request_id"] == "req-pool-2");
  // outside a request nothing is added
  log::Warn("Not a request");
  const auto after = captured.Read();
  const json* plain = FindMsg(after, "Not a request");
  REQUIRE(plain != nullptr);
  CHECK_FALSE(plain->contains("request_id"));
}

TEST_CASE("Admit runs auth and the rate limit before the handler, which reuses the outcome", "[server][ratelimit]") {
  metrics::Registry registry;
  Router router;
  int calls = 0;
  router.Get("/items/{id}", [&calls](Request& r) {
    ++calls;
    return Response::Json(200, {{"sub", r.User().sub}});
  });
  HttpMetrics metrics(registry);
  ratelimit::Settings settings;
  settings.read = {2, std::chrono::minutes(1), 2};
  ratelimit::RateLimiter limiter(settings, std::make_shared<ratelimit::LocalLimiter>(), registry);
  Pipeline pipeline(router, PipelineOptions{}, &limiter, &metrics);
  pipeline.SetAuthHook([](const Request& r) -> Principal {
    if (!r.Header("authorization")) throw Unauthorized("missing bearer token");
    return Principal{"7", "clerk", "t", "j", ""};
  });

  auto run = [&](bool with_token) {
    Request req = Make("/items/1", "req-admit");
    if (with_token) req.headers.emplace_back("authorization", "Bearer x");
    Router::Match match;
    pipeline.Prepare(req, match);
    std::optional<Admission> admitted;
    pipeline.Admit(req, match, [&](Admission a) { admitted = std::move(a); });
    REQUIRE(admitted.has_value());  // the local limiter answers at once
    CHECK(admitted->decided);
    return pipeline.Execute(req, match, &*admitted);
  };
  auto ok = run(true);
  CHECK(ok.status == 200);
  REQUIRE(ok.FindHeader("RateLimit-Remaining") != nullptr);
  CHECK(*ok.FindHeader("RateLimit-Remaining") == "1");
  // a failed authentication is still counted (by client IP) and answered 401
  auto unauth = run(false);
  CHECK(unauth.status == 401);
  CHECK(calls == 1);
  auto second = run(true);
  CHECK(second.status == 200);
  auto limited = run(true);  // the user's budget of 2 is spent
  CHECK(limited.status == 429);
  CHECK(limited.FindHeader("Retry-After") != nullptr);
  CHECK(calls == 2);
}
