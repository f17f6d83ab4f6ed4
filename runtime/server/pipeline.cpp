#include "runtime/server/pipeline.hpp"

#include <algorithm>
#include <cctype>

#include "common/log/log.hpp"
#include "runtime/sentry/envelope.hpp"
#include "runtime/server/problem.hpp"
#include "runtime/server/request_log.hpp"

namespace tenant::api::server {

Pipeline::Pipeline(const Router& router, PipelineOptions options, ratelimit::RateLimiter* limiter,
                   HttpMetrics* metrics)
    : router_(router),
      options_(std::move(options)),
      cors_(options_.cors_origins),
      limiter_(limiter),
      metrics_(metrics) {}

const Route* Pipeline::Prepare(Request& req, Router::Match& match) const {
  req.request_id = RequestIdFor(req);
  match = router_.Find(req.method, req.path);
  req.route = match.route ? match.route->path_template : "unmatched";
  if (match.route) req.path_params = match.params;
  auto timeout = options_.request_timeout;
  if (match.route && match.route->options.timeout_ms > 0) {
    timeout = std::chrono::milliseconds(match.route->options.timeout_ms);
  }
  req.deadline = std::chrono::steady_clock::now() + timeout;
  return match.route;
}

Response Pipeline::Handle(Request& req) const {
  Router::Match match;
  Prepare(req, match);
  return Execute(req, match);
}

void Pipeline::Admit(Request& req, const Router::Match& match, std::function<void(Admission)> done) const {
  if (!match.route || limiter_ == nullptr || CorsPolicy::IsPreflight(req)) {
    done(Admission{});
    return;
  }
  RequestLogScope log_scope(req.request_id);
  const RouteOptions& opts = match.route->options;
  Admission admission;
  admission.decided = true;
  if (!opts.anonymous) {
    try {
      if (!auth_) throw ServiceUnavailable("Authentication is not configured");
      req.principal = auth_(req);
    } catch (...) {
      admission.auth_error = std::current_exception();
      req.principal.reset();
    }
  }
  limiter_->CheckRequestAsync(opts.rate_class.value_or(RateClass::kRead), req,
                              [admission = std::move(admission), done = std::move(done)](
                                  std::optional<ratelimit::Decision> d) mutable {
                                admission.decision = d;
                                done(std::move(admission));
                              });
}

std::optional<Response> Pipeline::Precheck(Request& req, const Router::Match& match, const Admission* admission,
                                           std::vector<std::pair<std::string, std::string>>& extra_headers) const {
  if (CorsPolicy::IsPreflight(req)) {
    std::vector<std::string> methods;
    if (match.route) {
      // The path exists; collect every method registered for it.
      for (const auto& r : router_.routes()) {
        if (r->path_template == match.route->path_template) methods.push_back(r->method);
      }
    } else {
      methods = match.allowed_methods;
    }
    return cors_.Preflight(req, methods);
  }
  if (!match.route) {
    if (!match.allowed_methods.empty()) {
      std::string allow;
      for (const auto& m : match.allowed_methods) allow += (allow.empty() ? "" : ", ") + m;
      if (req.method == "OPTIONS") {
        Response r = Response::NoContent();
        r.SetHeader("Allow", allow + ", OPTIONS");
        return r;
      }
      HttpError e(405, "method_not_allowed", "Method not allowed",
                  req.method + " is not supported on this resource");
      e.WithHeader("Allow", allow);
      throw e;
    }
    throw NotFound("No resource at " + req.path);
  }
  const Route& route = *match.route;
  const RouteOptions& opts = route.options;

  // Authentication before rate limiting so the limit is keyed by user; a failed
  // authentication is still counted against the client IP before the 401 is returned.
  std::exception_ptr auth_error;
  std::optional<ratelimit::Decision> decision;
  if (admission != nullptr && admission->decided) {
    auth_error = admission->auth_error;
    decision = admission->decision;
  } else {
    if (!opts.anonymous) {
      try {
        if (!auth_) throw ServiceUnavailable("Authentication is not configured");
        req.principal = auth_(req);
      } catch (...) {
        auth_error = std::current_exception();
        req.principal.reset();
      }
    }
    if (limiter_ != nullptr) decision = limiter_->CheckRequest(opts.rate_class.value_or(RateClass::kRead), req);
  }
  if (decision) {
    if (!decision->allowed) throw ratelimit::RejectionError(*decision);
    ratelimit::AddRateLimitHeaders(*decision, extra_headers);
  }
  if (auth_error) std::rethrow_exception(auth_error);
  if (!opts.roles.empty()) {
    if (std::find(opts.roles.begin(), opts.roles.end(), req.principal->role) == opts.roles.end()) {
      throw Forbidden("The role " + req.principal->role + " may not perform this operation");
    }
  }
  if (opts.json_body) {
    auto ct = req.Header("content-type");
    std::string_view media = ct ? ct->substr(0, ct->find(';')) : std::string_view{};
    while (!media.empty() && media.back() == ' ') media.remove_suffix(1);
    if (media.size() != 16 || !std::equal(media.begin(), media.end(), "application/json",
                                          [](char a, char b) { return std::tolower(static_cast<unsigned char>(a)) == b; })) {
      throw UnsupportedMediaType("Content-Type must be application/json");
    }
  }
  if (req.DeadlineExpired()) throw ServiceUnavailable("The request deadline expired before processing");
  return std::nullopt;
}

Response Pipeline::Execute(Request& req, const Router::Match& match, const Admission* admission) const {
  // Log lines written anywhere below (handlers, pool, rate limiter) carry the request id.
  RequestLogScope log_scope(req.request_id);
  std::vector<std::pair<std::string, std::string>> extra;
  Response res;
  std::exception_ptr error;
  try {
    auto early = Precheck(req, match, admission, extra);
    res = early ? std::move(*early) : match.route->handler(req);
  } catch (...) {
    error = std::current_exception();
  }
  return Complete(req, error, std::move(res), extra);
}

void Pipeline::ExecuteAsync(Request& req, const Router::Match& match, const Admission* admission,
                            const AsyncContext& ctx, std::function<void(Response)> done) const {
  RequestLogScope log_scope(req.request_id);
  struct State {
    std::vector<std::pair<std::string, std::string>> extra;
    std::atomic<bool> answered{false};
    std::function<void(Response)> done;
  };
  auto state = std::make_shared<State>();
  state->done = std::move(done);
  Respond respond = [this, &req, state](std::exception_ptr error, Response res) {
    if (state->answered.exchange(true)) return;  // a handler answering twice: keep the first
    RequestLogScope scope(req.request_id);
    state->done(Complete(req, std::move(error), std::move(res), state->extra));
  };
  try {
    if (auto early = Precheck(req, match, admission, state->extra)) return respond(nullptr, std::move(*early));
    match.route->options.async_handler(req, ctx, respond);
  } catch (...) {
    respond(std::current_exception(), {});
  }
}

Response Pipeline::Complete(const Request& req, std::exception_ptr error, Response res,
                            std::vector<std::pair<std::string, std::string>>& extra) const {
  if (error) res = FromException(req, std::move(error));
  for (auto& [k, v] : extra) {
    if (!res.FindHeader(k)) res.headers.emplace_back(std::move(k), std::move(v));
  }
  Finalize(req, res);
  return res;
}

Response Pipeline::FromException(const Request& req, std::exception_ptr error) const {
  std::string internal;
  Response res;
  try {
    std::rethrow_exception(error);
  } catch (const HttpError& e) {
    res = ProblemResponse(e, req.request_id, req.path);
    if (e.status() >= 500) internal = e.what();
  } catch (const std::exception& e) {
    res = ProblemResponse(Internal(), req.request_id, req.path);
    internal = e.what();
  } catch (...) {
    res = ProblemResponse(Internal(), req.request_id, req.path);
    internal = "unknown exception";
  }
  // Readiness answering 503 is the probe working, not a server error: no error log line
  // and no Sentry event for every probe while the database is down.
  const bool probe = req.route.rfind("/health", 0) == 0;
  // Library messages may quote credentials (a DSN, "password=..."): scrub before logging.
  internal = sentry::ScrubText(internal);
  if (res.status >= 500 && !probe) {
    log::Error("Request failed", {{"request_id", req.request_id}, {"method", req.method},
                                  {"route", req.route}, {"status", res.status}, {"error", internal}});
    if (on_server_error_) on_server_error_(req, res, internal);
  }
  return res;
}

void Pipeline::Finalize(const Request& req, Response& res) const {
  ApplySecurityHeaders(res);
  res.SetHeader("X-Request-ID", req.request_id);
  cors_.ApplyToResponse(req, res);
}

Response Pipeline::Timeout(const Request& req) const {
  HttpError e = ServiceUnavailable("The request did not complete within its deadline");
  e.WithHeader("Retry-After", "1");
  Response res = ProblemResponse(e, req.request_id, req.path);
  Finalize(req, res);
  log::Warn("Request deadline expired", {{"request_id", req.request_id}, {"method", req.method},
                                         {"route", req.route}});
  if (on_server_error_) on_server_error_(req, res, "request deadline expired");
  return res;
}

Response Pipeline::Reject(const Request& req, const HttpError& error) const {
  Response res = ProblemResponse(error, req.request_id, req.path);
  Finalize(req, res);
  return res;
}

void Pipeline::Record(const Request& req, const Response& res, double seconds) const {
  if (metrics_ != nullptr) metrics_->RequestFinished(req.method, req.route, res.status, seconds);
  if (log::Enabled(log::Level::kInfo)) {
    log::Info("Request", {{"request_id", req.request_id},
                          {"method", req.method},
                          {"route", req.route},
                          {"status", res.status},
                          {"duration_ms", static_cast<double>(static_cast<long long>(seconds * 1e6)) / 1e3},
                          {"tenant", options_.tenant}});
  }
}

}  // namespace tenant::api::server
