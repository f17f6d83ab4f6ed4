#include "runtime/ratelimit/rate_limiter.hpp"

#include "runtime/server/http_error.hpp"

namespace tenant::api::ratelimit {

RateLimiter::RateLimiter(Settings settings, std::shared_ptr<Limiter> backend, metrics::Registry& registry)
    : settings_(std::move(settings)),
      backend_(std::move(backend)),
      rejected_(registry.Counter("rate_limit_rejected_total", "Requests rejected by rate limiting.", {"class"})) {}

const Quota& RateLimiter::QuotaFor(server::RateClass c) const {
  switch (c) {
    case server::RateClass::kWrite: return settings_.write;
    case server::RateClass::kAuth: return settings_.auth;
    default: return settings_.read;
  }
}

std::string RateLimiter::IdentityKey(const server::Request& req) {
  if (req.principal && !req.principal->sub.empty()) return "user:" + req.principal->sub;
  return "ip:" + req.client_ip;
}

std::optional<Decision> RateLimiter::CheckRequest(server::RateClass rate_class, const server::Request& req) {
  if (!settings_.enabled || !backend_ || rate_class == server::RateClass::kNone) return std::nullopt;
  std::string key = std::string(server::RateClassName(rate_class)) + ":" + IdentityKey(req);
  Decision d = backend_->Check(key, QuotaFor(rate_class));
  if (!d.allowed) rejected_.WithLabelValues({server::RateClassName(rate_class)}).Inc();
  return d;
}

void RateLimiter::CheckRequestAsync(server::RateClass rate_class, const server::Request& req,
                                    std::function<void(std::optional<Decision>)> done) {
  if (!settings_.enabled || !backend_ || rate_class == server::RateClass::kNone) {
    done(std::nullopt);
    return;
  }
  std::string key = std::string(server::RateClassName(rate_class)) + ":" + IdentityKey(req);
  backend_->CheckAsync(key, QuotaFor(rate_class), [this, rate_class, done = std::move(done)](Decision d) {
    if (!d.allowed) rejected_.WithLabelValues({server::RateClassName(rate_class)}).Inc();
    done(d);
  });
}

void AddRateLimitHeaders(const Decision& d, std::vector<std::pair<std::string, std::string>>& headers) {
  if (d.backend_failed_closed) return;
  headers.emplace_back("RateLimit-Limit", std::to_string(d.limit));
  headers.emplace_back("RateLimit-Remaining", std::to_string(d.remaining));
  headers.emplace_back("RateLimit-Reset", std::to_string(d.reset_seconds));
}

server::HttpError RejectionError(const Decision& d) {
  if (d.backend_failed_closed) {
    server::HttpError e = server::ServiceUnavailable("Rate limiting is unavailable; retry later");
    e.WithHeader("Retry-After", std::to_string(std::max<std::int64_t>(1, d.retry_after_seconds)));
    return e;
  }
  server::HttpError e(429, "too_many_requests", "Too many requests",
                      "Rate limit exceeded; retry after " + std::to_string(d.retry_after_seconds) + " s");
  e.WithHeader("Retry-After", std::to_string(std::max<std::int64_t>(1, d.retry_after_seconds)));
  AddRateLimitHeaders(d, e.headers());
  return e;
}

void RateLimiter::EnforceLogin(std::string_view username, const server::Request& req) {
  if (!settings_.enabled || !backend_) return;
  // Usernames are case-folded by nobody here: the key only needs to be stable per attempt.
  std::string key = "login:" + req.client_ip + ":" + std::string(username.substr(0, 256));
  Decision d = backend_->Check(key, settings_.login);
  if (!d.allowed) {
    rejected_.WithLabelValues({"login"}).Inc();
    throw RejectionError(d);
  }
}

}  // namespace tenant::api::ratelimit
