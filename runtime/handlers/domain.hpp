#pragma once
// What every resource handler shares: the pool, the JWT codec, metrics. Built once by
// RegisterApiRoutes and kept alive through AppContext::keep_alive.
#include <chrono>
#include <memory>
#include <string>

#include "common/metrics/metrics.hpp"
#include "runtime/auth/jwt.hpp"
#include "runtime/db/pool.hpp"

namespace tenant::api::ratelimit {
class RateLimiter;
}

namespace tenant::api::handlers {

struct Domain {
  Domain(std::shared_ptr<db::Pool> p, auth::JwtCodec codec, metrics::Registry& registry,
         ratelimit::RateLimiter* limiter);

  std::shared_ptr<db::Pool> pool;
  auth::JwtCodec jwt;
  metrics::CounterFamily& auth_failures;  // auth_failures_total{reason}
  ratelimit::RateLimiter* rate_limiter;   // nullptr in tests that call handlers directly
  unsigned bcrypt_cost = 12;              // production cost; never lowered by the server
};

}  // namespace tenant::api::handlers
