#include "runtime/handlers/domain.hpp"

namespace tenant::api::handlers {

Domain::Domain(std::shared_ptr<db::Pool> p, auth::JwtCodec codec, metrics::Registry& registry,
               ratelimit::RateLimiter* limiter)
    : pool(std::move(p)),
      jwt(std::move(codec)),
      auth_failures(registry.Counter("auth_failures_total",
                                     "Failed authentications by reason.", {"reason"})),
      rate_limiter(limiter) {}

}  // namespace tenant::api::handlers
