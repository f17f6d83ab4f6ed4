#pragma once
// The facade the server and the auth handler use: classes of routes -> quotas -> backend.
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "common/metrics/metrics.hpp"
#include "runtime/ratelimit/limiter.hpp"
#include "runtime/server/http_error.hpp"
#include "runtime/server/router.hpp"

namespace tenant::api::ratelimit {

struct Settings {
  bool enabled = true;
  Quota read{1200, std::chrono::minutes(1), 1200};
  Quota write{300, std::chrono::minutes(1), 300};
  Quota auth{60, std::chrono::minutes(1), 60};
  Quota login{5, std::chrono::minutes(1), 5};  // per username + client IP
  bool fail_open = true;  // Redis unavailable: true = in-process limiter, false = 503
};

class RateLimiter {
 public:
  // `backend` null = rate limiting off.
  RateLimiter(Settings settings, std::shared_ptr<Limiter> backend, metrics::Registry& registry);

  // Server middleware: class of the route + identity (user id, else client IP).
  // nullopt when not limited (disabled, class kNone). Counts rejections.
  std::optional<Decision> CheckRequest(server::RateClass rate_class, const server::Request& req);
  // The same, answered through `done` (maybe later, on the Redis pipeline thread).
  void CheckRequestAsync(server::RateClass rate_class, const server::Request& req,
                         std::function<void(std::optional<Decision>)> done);

  // For the login handler: the stricter limit per username+IP. Throws HttpError 429 (with
  // Retry-After and RateLimit-* headers) when exceeded, 503 when the backend is down and
  // fail-closed. Call it BEFORE verifying the password so attempts are counted.
  void EnforceLogin(std::string_view username, const server::Request& req);

  const Settings& settings() const { return settings_; }

  const Quota& QuotaFor(server::RateClass c) const;
  static std::string IdentityKey(const server::Request& req);
  Limiter* backend() const { return backend_.get(); }

 private:
  Settings settings_;
  std::shared_ptr<Limiter> backend_;
  metrics::CounterFamily& rejected_;
};

// RateLimit-Limit / -Remaining / -Reset (draft-ietf-httpapi-ratelimit-headers).
void AddRateLimitHeaders(const Decision& d, std::vector<std::pair<std::string, std::string>>& headers);
// 429 with Retry-After and RateLimit-* headers (503 when the backend failed closed).
server::HttpError RejectionError(const Decision& d);

}  // namespace tenant::api::ratelimit
