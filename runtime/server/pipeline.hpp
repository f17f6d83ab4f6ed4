#pragma once
// Everything between "a request was read" and "a response is ready", independent of
// sockets so it is unit-testable and fuzzable: request id -> route match -> CORS preflight
// -> auth (when required) -> rate limit (user, else IP) -> role check -> JSON content type
// -> handler -> errors to problem+json -> security/CORS/RateLimit headers. Plus the
// per-request log line and metrics (Record).
#include <atomic>
#include <chrono>
#include <exception>
#include <optional>
#include <functional>
#include <string>

#include "runtime/ratelimit/rate_limiter.hpp"
#include "runtime/server/http_metrics.hpp"
#include "runtime/server/middleware.hpp"
#include "runtime/server/router.hpp"

namespace tenant::api::server {

struct PipelineOptions {
  std::vector<std::string> cors_origins;
  std::chrono::milliseconds request_timeout{10'000};
  std::string tenant;  // the `tenant` field of every request log line
};

// Called for every 5xx and unhandled exception (Sentry). `error` is the internal message
// (never sent to the client). Must not block.
using ServerErrorHook = std::function<void(const Request&, const Response&, const std::string& error)>;

// Authentication and rate limiting decided before the handler is scheduled (Admit), so the
// Redis round trip of the rate limit never occupies a worker thread.
struct Admission {
  bool decided = false;  // false: Execute authenticates and rate-limits itself
  std::exception_ptr auth_error;  // the 401 to return after the rate limit counted it
  std::optional<ratelimit::Decision> decision;  // nullopt: not limited
};

class Pipeline {
 public:
  Pipeline(const Router& router, PipelineOptions options, ratelimit::RateLimiter* limiter,
           HttpMetrics* metrics);

  void SetAuthHook(AuthHook hook) { auth_ = std::move(hook); }
  void SetServerErrorHook(ServerErrorHook hook) { on_server_error_ = std::move(hook); }

  // Phase 1 (I/O thread, cheap, never throws): assigns the request id, matches the route,
  // sets req.route / path_params / deadline. Returns the route (null when none).
  const Route* Prepare(Request& req, Router::Match& match) const;
  // Phase 1b (I/O thread, never blocks): authentication and the rate-limit check; `done`
  // runs once with the outcome, at once or later on the rate limiter's thread. Routes that
  // need neither (no route, CORS preflight, no limiter) get an undecided Admission.
  void Admit(Request& req, const Router::Match& match, std::function<void(Admission)> done) const;
  // Phase 2 (worker or I/O thread; never throws): the rest, returning the final response.
  // With a decided `admission` its outcome is used instead of authenticating again.
  Response Execute(Request& req, const Router::Match& match, const Admission* admission = nullptr) const;
  // Phase 2 for routes with an async_handler (I/O thread; never blocks, never throws): the
  // same checks as Execute, then the async handler; `done` runs once with the final
  // response, on whichever thread the handler answered.
  void ExecuteAsync(Request& req, const Router::Match& match, const Admission* admission, const AsyncContext& ctx,
                    std::function<void(Response)> done) const;
  // Prepare + Execute (tests, fuzzing).
  Response Handle(Request& req) const;

  // Final response for a request whose deadline expired before its handler finished.
  Response Timeout(const Request& req) const;
  // Final response for an error detected while reading (413, 431, 400).
  Response Reject(const Request& req, const HttpError& error) const;

  // Metrics + one JSON log line. `seconds` from read to response.
  void Record(const Request& req, const Response& res, double seconds) const;
  HttpMetrics* metrics() const { return metrics_; }

 private:
  // Everything before the handler: the response when the request is answered without it
  // (CORS preflight, OPTIONS); throws for errors (404, 405, 401, 429, 403, 415, 503).
  std::optional<Response> Precheck(Request& req, const Router::Match& match, const Admission* admission,
                                   std::vector<std::pair<std::string, std::string>>& extra_headers) const;
  // The final response from a handler's result or error: problem+json for errors, the
  // headers collected by Precheck, security/CORS headers.
  Response Complete(const Request& req, std::exception_ptr error, Response res,
                    std::vector<std::pair<std::string, std::string>>& extra_headers) const;
  void Finalize(const Request& req, Response& res) const;
  Response FromException(const Request& req, std::exception_ptr error) const;

  const Router& router_;
  PipelineOptions options_;
  CorsPolicy cors_;
  ratelimit::RateLimiter* limiter_;
  HttpMetrics* metrics_;
  AuthHook auth_;
  ServerErrorHook on_server_error_;
};

}  // namespace tenant::api::server
