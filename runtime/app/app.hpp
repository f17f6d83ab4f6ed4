#pragma once
// The assembled tenant-api process minus signal handling: registry, rate limiter, Sentry,
// router (built-ins + domain routes), pipeline and HTTP server, with the graceful shutdown
// sequence. `serve` wraps it with SIGTERM handling; integration tests run it in-process.
#include <functional>
#include <memory>

#include "runtime/app/app_context.hpp"
#include "runtime/app/health.hpp"
#include "runtime/config/config.hpp"
#include "runtime/ratelimit/redis_limiter.hpp"
#include "runtime/sentry/reporter.hpp"
#include "runtime/server/http_server.hpp"

namespace tenant::api::app {

using RegisterFn = std::function<void(server::Router&, AppContext&)>;

class App {
 public:
  // `register_api` registers the domain routes (handlers::RegisterApiRoutes in production;
  // tests pass their own). Throws on wiring errors (e.g. invalid DSN).
  App(config::Config config, RegisterFn register_api);
  ~App();

  void Start();  // binds and serves
  int port() const { return server_->port(); }

  // SIGTERM sequence: readiness 503, stop accepting, wait for in-flight requests up to the
  // grace period, stop threads, close the database pool, flush Sentry. Returns true when
  // every in-flight request finished in time.
  bool Shutdown();

  AppContext& context() { return *ctx_; }
  metrics::Registry& registry() { return registry_; }
  Health& health() { return *health_; }
  server::Router& router() { return router_; }
  const config::Config& config() const { return config_; }

 private:
  config::Config config_;
  metrics::Registry registry_;
  openapi::Document openapi_;
  std::shared_ptr<ratelimit::RedisLimiter> redis_;
  std::unique_ptr<ratelimit::RateLimiter> limiter_;
  std::unique_ptr<sentry::Reporter> sentry_;
  std::unique_ptr<AppContext> ctx_;
  std::unique_ptr<Health> health_;
  server::Router router_;
  std::unique_ptr<server::HttpMetrics> http_metrics_;
  std::unique_ptr<server::Pipeline> pipeline_;
  std::unique_ptr<server::HttpServer> server_;
  bool shut_down_ = false;
};

// Server sizing from the config (0 = automatic).
server::ServerOptions ServerOptionsFor(const config::Config& config);

}  // namespace tenant::api::app
