#pragma once
// The facade the server and the auth handler use: classes of routes -> quotas -> backend.
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "runtime/ratelimit/limiter.hpp"
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
  RateLimiter(Settings settings, std::shared_ptr<Limiter> backend);

  // Server middleware: class of the route + identity (user id, else client IP).
  Decision CheckRequest(server::RateClass rate_class, const server::Request& req);

  // For the login handler: the stricter limit per username+IP. Throws HttpError 429 (with
  // Retry-After and RateLimit-* headers) when exceeded, 503 when the backend is down and
  // fail-closed. Call it BEFORE verifying the password so attempts are counted.
  void EnforceLogin(std::string_view username, const server::Request& req);

  const Settings& settings() const { return settings_; }

 private:
  Settings settings_;
  std::shared_ptr<Limiter> backend_;
};

}  // namespace tenant::api::ratelimit
