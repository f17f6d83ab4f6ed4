#pragma once
// tenant-api configuration: environment variables only, validated at start-up with every
// problem reported at once (main exits 2). Pure: Load() reads from a lookup function so
// tests pass a map instead of touching the process environment.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/ratelimit/rate_limiter.hpp"

namespace tenant::api::config {

enum class Environment { kDevelopment, kStaging, kProduction };
std::string_view EnvironmentName(Environment e);

struct Config {
  // --- required ---
  std::string database_url;     // DATABASE_URL (libpq URI or key=value); never log it raw
  std::string jwt_signing_key;  // JWT_SIGNING_KEY, >= 32 bytes
  // --- optional ---
  Environment environment = Environment::kDevelopment;  // ENVIRONMENT
  std::string db_ssl_mode;            // DB_SSL_MODE; overrides the URL's sslmode when set
  int db_pool_size = 10;              // DB_POOL_SIZE 1..200
  int db_statement_timeout_ms = 5000; // DB_STATEMENT_TIMEOUT_MS 1..600000
  int db_acquire_timeout_ms = 2000;   // DB_ACQUIRE_TIMEOUT_MS: wait for a pooled connection (then 503)
  std::string redis_url;              // REDIS_URL (redis://[:password@]host[:port][/db])
  std::vector<std::string> cors_origins;  // CORS_ORIGINS, comma separated exact origins
  ratelimit::Settings rate_limit;     // RATE_LIMIT_*
  int rate_limit_redis_timeout_ms = 50;  // RATE_LIMIT_REDIS_TIMEOUT_MS
  std::string sentry_dsn;             // SENTRY_DSN
  std::string log_level = "info";     // LOG_LEVEL
  std::string bind_address = "0.0.0.0";  // BIND_ADDRESS
  int port = 8080;                    // PORT (0 = any free port, logged at start)
  int request_timeout_ms = 10000;     // REQUEST_TIMEOUT_MS: per-request deadline (503)
  int shutdown_grace_seconds = 20;    // SHUTDOWN_GRACE_SECONDS
  std::string tenant_id;              // TENANT_ID
  bool debug = false;                 // DEBUG
  // --- server tunables ---
  int io_threads = 0;                 // IO_THREADS (0 = half the usable cores, at least 1)
  int worker_threads = 0;             // WORKER_THREADS (0 = max(8, 2 * DB_POOL_SIZE))
  int header_timeout_ms = 10000;      // HEADER_TIMEOUT_MS: whole header must arrive within
  int body_timeout_ms = 30000;        // BODY_TIMEOUT_MS: whole body must arrive within
  int idle_timeout_ms = 60000;        // IDLE_TIMEOUT_MS: keep-alive idle connection close
  std::string release;                // SENTRY_RELEASE (default "tenant-api@<version>")

  // The effective sslmode: DB_SSL_MODE, else the URL's sslmode, else "prefer" (libpq default).
  std::string EffectiveSslMode() const;
  // DATABASE_URL with DB_SSL_MODE applied, statement timeout and application_name, as a
  // libpq conninfo for pg::Connection::Connect.
  std::string DatabaseConnInfo() const;
  // Safe-to-log summary (secrets redacted).
  std::string Describe() const;
};

struct LoadResult {
  Config config;
  std::vector<std::string> errors;  // every problem, "NAME: message"; empty = valid
  bool ok() const { return errors.empty(); }
};

using Lookup = std::function<std::optional<std::string>(const std::string&)>;

// Parses and validates. Production refusals are reported together with the other errors.
LoadResult Load(const Lookup& lookup);
// Lookup over the process environment (getenv).
Lookup ProcessEnvironment();

// The documented variables, for --help.
std::string HelpText();

}  // namespace tenant::api::config
