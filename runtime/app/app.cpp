#include "runtime/app/app.hpp"

#include <algorithm>

#include "runtime/app/cpu_budget.hpp"

#include "common/log/log.hpp"
#include "runtime/config/redis_url.hpp"

namespace tenant::api::app {

server::ServerOptions ServerOptionsFor(const config::Config& c) {
  server::ServerOptions o;
  o.bind_address = c.bind_address;
  o.port = c.port;
  // One I/O thread per two usable cores: the I/O threads never block and one serves about
  // 15,000 GET/s (66 us of CPU each), while the same cores also run PostgreSQL, Redis and
  // the kernel's share of every request. On the 2-core benchmark machine (GET by id, 64
  // connections, two runs each) one I/O thread gave 11,200-12,200 GET/s p99 10.7-14.7 ms,
  // two gave 9,900-11,400 GET/s p99 18-37 ms: more context switches, and each thread's
  // Redis pipeline batches half as much.
  const int cores = CpuBudget();
  o.io_threads = c.io_threads > 0 ? c.io_threads : std::max(1, cores / 2);
  // Handlers block on the database: enough workers to keep every pooled connection busy
  // plus headroom for requests that do not touch it.
  o.worker_threads = c.worker_threads > 0 ? c.worker_threads : std::max(8, 2 * c.db_pool_size);
  o.header_timeout = std::chrono::milliseconds(c.header_timeout_ms);
  o.body_timeout = std::chrono::milliseconds(c.body_timeout_ms);
  return o;
}

App::App(config::Config config, RegisterFn register_api)
    : config_(std::move(config)), openapi_("tenant-api", TENANT_VERSION) {
  server::RegisterBuildInfo(registry_);

  std::shared_ptr<ratelimit::Limiter> backend;
  if (config_.rate_limit.enabled) {
    if (!config_.redis_url.empty()) {
      auto url = config::ParseRedisUrl(config_.redis_url);
      if (!url) throw std::invalid_argument("REDIS_URL is invalid");
      ratelimit::RedisOptions ro;
      ro.url = *url;
      ro.timeout = std::chrono::milliseconds(config_.rate_limit_redis_timeout_ms);
      ro.key_prefix = "rl:" + config_.tenant_id + ":";
      ro.fail_open = config_.rate_limit.fail_open;
      redis_ = std::make_shared<ratelimit::RedisLimiter>(ro, registry_);
      backend = redis_;
    } else {
      log::Warn("REDIS_URL not set; rate limits are per process", {});
      backend = std::make_shared<ratelimit::LocalLimiter>();
    }
  }
  limiter_ = std::make_unique<ratelimit::RateLimiter>(config_.rate_limit, backend, registry_);

  if (!config_.sentry_dsn.empty()) {
    auto dsn = sentry::ParseDsn(config_.sentry_dsn);
    if (!dsn) throw std::invalid_argument("SENTRY_DSN is invalid");
    sentry_ = std::make_unique<sentry::Reporter>(sentry::ReporterOptions{*dsn}, registry_);
  }

  ctx_ = std::make_unique<AppContext>(AppContext{config_, registry_, *limiter_, openapi_, {}, {}, {}});
  std::function<bool(std::chrono::milliseconds)> redis_ping;
  if (redis_) {
    redis_ping = [r = redis_](std::chrono::milliseconds t) { return r->Ping(t); };
  }
  health_ = std::make_unique<Health>(*ctx_, redis_ping);
  RegisterBuiltinRoutes(router_, *ctx_, *health_);
  if (register_api) register_api(router_, *ctx_);

  http_metrics_ = std::make_unique<server::HttpMetrics>(registry_);
  server::PipelineOptions po;
  po.cors_origins = config_.cors_origins;
  po.request_timeout = std::chrono::milliseconds(config_.request_timeout_ms);
  po.tenant = config_.tenant_id;
  pipeline_ = std::make_unique<server::Pipeline>(router_, po, limiter_.get(), http_metrics_.get());
  pipeline_->SetAuthHook(ctx_->authenticate);
  if (sentry_) {
    pipeline_->SetServerErrorHook([this](const server::Request& req, const server::Response& res,
                                         const std::string& error) {
      sentry::EventInput in;
      in.message = error;
      in.exception_type = res.status == 500 ? "UnhandledError" : "ServerError";
      in.status = res.status;
      in.request_id = req.request_id;
      in.method = req.method;
      in.route = req.route;
      in.path = req.path;
      in.headers = req.headers;
      in.release = config_.release;
      in.environment = std::string(config::EnvironmentName(config_.environment));
      in.tenant = config_.tenant_id;
      sentry_->Capture(in);
    });
  }
  server_ = std::make_unique<server::HttpServer>(ServerOptionsFor(config_), *pipeline_);
  // Rate-limit checks then complete on the I/O thread that asked (no hop to a Redis thread
  // and back). Shutdown() stops the limiter after the server's threads and before the
  // server (and its contexts) is destroyed.
  if (redis_) redis_->BindIoContexts(server_->io_contexts());
}

App::~App() { Shutdown(); }

void App::Start() {
  server_->Start();
  log::Info("Listening", {{"address", config_.bind_address}, {"port", server_->port()},
                          {"tenant", config_.tenant_id}, {"version", TENANT_VERSION}});
}

bool App::Shutdown() {
  if (shut_down_) return true;
  shut_down_ = true;
  log::Info("Shutting down", {{"in_flight", server_->in_flight()}, {"grace_seconds", config_.shutdown_grace_seconds}});
  health_->SetDraining();
  server_->StopAccepting();
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(config_.shutdown_grace_seconds);
  bool idle = server_->WaitIdle(deadline);
  if (!idle) log::Warn("Grace period over with requests in flight", {{"in_flight", server_->in_flight()}});
  server_->Stop();
  if (redis_) redis_->Stop();
  if (ctx_->database.close) {
    try {
      ctx_->database.close();
    } catch (const std::exception& e) {
      log::Warn("Closing the database pool failed", {{"error", e.what()}});
    }
  }
  if (sentry_) sentry_->Flush(std::chrono::seconds(2));
  log::Info("Stopped", {{"clean", idle}});
  return idle;
}

}  // namespace tenant::api::app
