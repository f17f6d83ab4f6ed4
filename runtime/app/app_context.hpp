#pragma once
// Everything handlers share, owned by main (wiring in app/). The domain side (handlers/,
// db/) fills the hooks in RegisterApiRoutes; the server side reads them for health checks,
// authentication and shutdown.
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "common/metrics/metrics.hpp"
#include "runtime/config/config.hpp"
#include "runtime/openapi/document.hpp"
#include "runtime/ratelimit/rate_limiter.hpp"
#include "runtime/server/router.hpp"

namespace tenant::api::app {

struct DatabaseHooks {
  // Runs a trivial query on a pooled connection within `timeout`; throws on failure.
  // Used by /health/ready and /health.
  std::function<void(std::chrono::milliseconds timeout)> ping;
  // Highest applied schema_migrations version; throws on failure.
  std::function<int(std::chrono::milliseconds timeout)> schema_version;
  // Closes the pool (called once during graceful shutdown, after in-flight requests ended).
  std::function<void()> close;
};

struct AppContext {
  const config::Config& config;
  metrics::Registry& metrics;            // register db_pool_connections etc. here
  ratelimit::RateLimiter& rate_limiter;  // EnforceLogin() for POST /auth/token
  openapi::Document& openapi;            // add paths/schemas of every endpoint you register

  // --- set by RegisterApiRoutes (domain engineer) ---
  server::AuthHook authenticate;  // JWT verifier -> Principal (throws 401)
  DatabaseHooks database;
  // Anything the domain side must keep alive for the process lifetime (pool, services).
  std::vector<std::shared_ptr<void>> keep_alive;
};

// The schema version this binary needs (latest embedded migration).
int RequiredSchemaVersion();

}  // namespace tenant::api::app
