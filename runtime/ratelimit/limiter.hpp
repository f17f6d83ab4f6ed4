#pragma once
// Rate limiting: GCRA in Redis (one atomic Lua script per check), keyed by user (or client
// IP when anonymous) and route class. When Redis is down or slower than
// RATE_LIMIT_REDIS_TIMEOUT_MS (~50 ms) an in-process GCRA takes over (or, with
// RATE_LIMIT_FAIL_MODE=closed, requests are refused with 503), rate_limit_backend_errors_total
// counts it, a log line says so, and Redis is reconnected with exponential backoff.
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace tenant::metrics {
class Registry;
}

namespace tenant::api::ratelimit {

// One limit: `limit` requests per `period`, bursts up to `burst` (GCRA, "generic cell rate").
struct Quota {
  std::int64_t limit = 600;
  std::chrono::milliseconds period{60'000};
  std::int64_t burst = 600;
};

struct Decision {
  bool allowed = true;
  std::int64_t limit = 0;      // RateLimit-Limit
  std::int64_t remaining = 0;  // RateLimit-Remaining
  std::int64_t reset_seconds = 0;        // RateLimit-Reset: seconds until the bucket is full again
  std::int64_t retry_after_seconds = 0;  // Retry-After when !allowed
  bool from_fallback = false;  // decided by the in-process limiter (Redis unavailable)
  bool backend_failed_closed = false;  // Redis unavailable and fail-closed: answer 503
};

class Limiter {
 public:
  virtual ~Limiter() = default;
  // Counts one request against `key` (e.g. "read:user:42", "auth:ip:10.0.0.1") under `quota`.
  virtual Decision Check(std::string_view key, const Quota& quota) = 0;
  // The same check, answered through `done`, possibly later and on another thread (the
  // Redis limiter answers on its pipeline thread), so no server thread waits for Redis.
  // The default answers at once with Check().
  using DecisionCallback = std::function<void(Decision)>;
  virtual void CheckAsync(std::string_view key, const Quota& quota, DecisionCallback done) {
    done(Check(key, quota));
  }
};

}  // namespace tenant::api::ratelimit
