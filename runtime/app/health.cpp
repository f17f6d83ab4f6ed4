#include "runtime/app/health.hpp"

#include <algorithm>
#include <cmath>

#include "common/log/log.hpp"
#include "common/migrations/migration_set.hpp"
#include "runtime/server/http_error.hpp"
#include "runtime/server/problem.hpp"

namespace tenant::api::app {

using nlohmann::json;

int RequiredSchemaVersion() { return migrations::Embedded().latest(); }

Health::Health(AppContext& ctx, std::function<bool(std::chrono::milliseconds)> redis_ping)
    : ctx_(ctx), redis_ping_(std::move(redis_ping)) {}

namespace {
constexpr std::chrono::milliseconds kCheckTimeout{1000};

template <typename F>
CheckResult Timed(std::string name, F&& f) {
  CheckResult r;
  r.name = std::move(name);
  auto start = std::chrono::steady_clock::now();
  try {
    f(r);
  } catch (const std::exception& e) {
    r.ok = false;
    // pg errors name host:port but never passwords; scrub anyway.
    r.error = log::RedactUrl(e.what());
    r.error = r.error.substr(0, r.error.find('\n'));  // libpq adds hint lines
  }
  r.latency_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  return r;
}

json ChecksJson(const std::vector<CheckResult>& checks) {
  json out = json::object();
  for (const auto& c : checks) {
    json one = {{"status", c.ok ? "ok" : "fail"}, {"latency_ms", std::round(c.latency_ms * 1000) / 1000}};
    if (!c.error.empty()) one["error"] = c.error;
    out[c.name] = std::move(one);
  }
  return out;
}
}  // namespace

std::vector<CheckResult> Health::RunChecks() const {
  std::vector<CheckResult> out;
  out.push_back(Timed("database", [&](CheckResult& r) {
    if (!ctx_.database.ping) throw std::runtime_error("database access is not configured");
    ctx_.database.ping(kCheckTimeout);
    r.ok = true;
  }));
  out.push_back(Timed("schema", [&](CheckResult& r) {
    if (!ctx_.database.schema_version) throw std::runtime_error("database access is not configured");
    int have = ctx_.database.schema_version(kCheckTimeout);
    int need = RequiredSchemaVersion();
    r.ok = have >= need;
    if (!r.ok) r.error = "schema version " + std::to_string(have) + " < required " + std::to_string(need);
  }));
  if (redis_ping_) {
    out.push_back(Timed("redis", [&](CheckResult& r) {
      r.ok = redis_ping_(std::chrono::milliseconds(250));
      if (!r.ok) r.error = "PING failed";
    }));
  }
  return out;
}

server::Response Health::Live() const { return server::Response::Json(200, {{"status", "ok"}}); }

server::Response Health::Ready() const {
  if (draining()) {
    throw server::ServiceUnavailable("Shutting down").WithExtension("checks", json::object());
  }
  auto checks = RunChecks();
  bool ok = std::all_of(checks.begin(), checks.end(), [](const CheckResult& c) { return c.ok; });
  if (!ok) {
    std::string failed;
    for (const auto& c : checks) {
      if (!c.ok) failed += (failed.empty() ? "" : ", ") + c.name;
    }
    throw server::ServiceUnavailable("Not ready: " + failed).WithExtension("checks", ChecksJson(checks));
  }
  return server::Response::Json(200, {{"status", "ready"}, {"checks", ChecksJson(checks)}});
}

server::Response Health::Summary() const {
  auto checks = RunChecks();
  bool ok = std::all_of(checks.begin(), checks.end(), [](const CheckResult& c) { return c.ok; });
  auto uptime = std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
  json body = {{"status", draining() ? "draining" : (ok ? "ok" : "degraded")},
               {"version", TENANT_VERSION},
               {"tenant", ctx_.config.tenant_id},
               {"environment", config::EnvironmentName(ctx_.config.environment)},
               {"uptime_seconds", std::floor(uptime)},
               {"schema_required", RequiredSchemaVersion()},
               {"checks", ChecksJson(checks)}};
  return server::Response::Json(200, body);
}

void RegisterBuiltinRoutes(server::Router& router, AppContext& ctx, Health& health) {
  using server::RateClass;
  using server::RouteOptions;
  auto open_inline = [] {
    RouteOptions o = RouteOptions::Anonymous().Class(RateClass::kNone);
    o.inline_handler = true;
    return o;
  };
  auto open_worker = [] { return RouteOptions::Anonymous().Class(RateClass::kNone); };
  router.Get("/health/live", [&health](server::Request&) { return health.Live(); }, open_inline());
  router.Get("/health/ready", [&health](server::Request&) { return health.Ready(); }, open_worker());
  router.Get("/health", [&health](server::Request&) { return health.Summary(); }, open_worker());
  router.Get("/metrics", [&ctx](server::Request&) {
    return server::Response::Text(200, ctx.metrics.Render(), std::string(metrics::kContentType));
  }, open_inline());
  router.Get("/openapi.json", [&ctx](server::Request&) {
    server::Response r;
    r.body = ctx.openapi.Serialized();
    return r;
  }, open_inline());

  auto& doc = ctx.openapi;
  doc.AddSchema("HealthCheck", {{"type", "object"},
                                {"required", {"status", "latency_ms"}},
                                {"properties", {{"status", {{"enum", {"ok", "fail"}}}},
                                                {"latency_ms", {{"type", "number"}}},
                                                {"error", {{"type", "string"}}}}}});
  doc.AddSchema("Health", {{"type", "object"},
                           {"required", {"status", "version", "tenant", "uptime_seconds", "checks"}},
                           {"properties", {{"status", {{"enum", {"ok", "degraded", "draining"}}}},
                                           {"version", {{"type", "string"}}},
                                           {"tenant", {{"type", "string"}}},
                                           {"environment", {{"type", "string"}}},
                                           {"uptime_seconds", {{"type", "number"}}},
                                           {"schema_required", {{"type", "integer"}}},
                                           {"checks", {{"type", "object"},
                                                       {"additionalProperties", openapi::Document::Ref("HealthCheck")}}}}}});
  doc.AddOperation("GET", "/health/live", {{"summary", "Liveness"}, {"tags", {"health"}}, {"security", json::array()},
                                           {"responses", {{"200", {{"description", "Process alive"},
                                                                   {"content", openapi::Document::JsonContent({{"type", "object"}})}}}}}});
  doc.AddOperation("GET", "/health/ready",
                   {{"summary", "Readiness: database, schema version, Redis"}, {"tags", {"health"}}, {"security", json::array()},
                    {"responses", {{"200", {{"description", "Ready"}, {"content", openapi::Document::JsonContent({{"type", "object"}})}}},
                                   {"503", openapi::Document::ErrorResponse("ServiceUnavailable")}}}});
  doc.AddOperation("GET", "/health", {{"summary", "Health summary"}, {"tags", {"health"}}, {"security", json::array()},
                                      {"responses", {{"200", {{"description", "Summary"},
                                                              {"content", openapi::Document::JsonContent(openapi::Document::Ref("Health"))}}}}}});
  doc.AddOperation("GET", "/metrics", {{"summary", "Prometheus metrics"}, {"tags", {"ops"}}, {"security", json::array()},
                                       {"responses", {{"200", {{"description", "Text exposition format 0.0.4"},
                                                               {"content", {{"text/plain", {{"schema", {{"type", "string"}}}}}}}}}}}});
  doc.AddOperation("GET", "/openapi.json", {{"summary", "This document"}, {"tags", {"ops"}}, {"security", json::array()},
                                            {"responses", {{"200", {{"description", "OpenAPI 3.1"},
                                                                    {"content", openapi::Document::JsonContent({{"type", "object"}})}}}}}});
}

}  // namespace tenant::api::app
