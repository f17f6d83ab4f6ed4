#include "runtime/server/middleware.hpp"

#include <algorithm>
#include <cctype>
#include <random>

#include "runtime/server/http_error.hpp"
#include "runtime/server/problem.hpp"

namespace tenant::api::server {

bool IsValidRequestId(std::string_view id) {
  if (id.empty() || id.size() > 128) return false;
  return std::all_of(id.begin(), id.end(), [](unsigned char c) {
    return std::isalnum(c) || c == '.' || c == '_' || c == '-';
  });
}

std::string GenerateRequestId() {
  // Uniqueness, not secrecy, is what matters: a per-thread 64-bit generator seeded from the
  // OS is plenty and avoids a syscall per request.
  thread_local std::mt19937_64 rng([] {
    std::random_device rd;
    std::seed_seq seq{rd(), rd(), rd(), rd()};
    return std::mt19937_64(seq);
  }());
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(32, '0');
  for (int half = 0; half < 2; ++half) {
    std::uint64_t v = rng();
    for (int i = 0; i < 16; ++i) {
      out[half * 16 + i] = kHex[v & 0xF];
      v >>= 4;
    }
  }
  return out;
}

std::string RequestIdFor(const Request& req) {
  auto h = req.Header("x-request-id");
  if (h && IsValidRequestId(*h)) return std::string(*h);
  return GenerateRequestId();
}

void ApplySecurityHeaders(Response& res) {
  res.SetHeader("Strict-Transport-Security", "max-age=63072000; includeSubDomains");
  res.SetHeader("X-Content-Type-Options", "nosniff");
  res.SetHeader("X-Frame-Options", "DENY");
  res.SetHeader("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'");
  res.SetHeader("Referrer-Policy", "no-referrer");
  res.SetHeader("Cache-Control", "no-store");
}

namespace {
constexpr const char* kAllowedRequestHeaders =
    "Authorization, Content-Type, Idempotency-Key, If-Match, If-None-Match, X-Request-ID";
constexpr const char* kExposedHeaders =
    "X-Request-ID, ETag, Location, Retry-After, RateLimit-Limit, RateLimit-Remaining, RateLimit-Reset";

std::string Lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

bool HeaderAllowed(std::string_view name) {
  static const char* kAllowed[] = {"authorization", "content-type", "idempotency-key",
                                   "if-match", "if-none-match", "x-request-id"};
  std::string l = Lower(name);
  return std::find(std::begin(kAllowed), std::end(kAllowed), l) != std::end(kAllowed);
}
}  // namespace

CorsPolicy::CorsPolicy(std::vector<std::string> allowed_origins) : origins_(std::move(allowed_origins)) {
  any_ = std::find(origins_.begin(), origins_.end(), "*") != origins_.end();
}

bool CorsPolicy::IsAllowed(std::string_view origin) const {
  if (origin.empty()) return false;
  if (any_) return true;
  // Origins compare case-insensitively on scheme and host; ports exactly.
  std::string l = Lower(origin);
  return std::any_of(origins_.begin(), origins_.end(), [&](const std::string& o) { return Lower(o) == l; });
}

void CorsPolicy::ApplyToResponse(const Request& req, Response& res) const {
  if (origins_.empty()) return;
  res.SetHeader("Vary", "Origin");
  auto origin = req.Header("origin");
  if (!origin || !IsAllowed(*origin)) return;
  res.SetHeader("Access-Control-Allow-Origin", any_ ? "*" : std::string(*origin));
  res.SetHeader("Access-Control-Expose-Headers", kExposedHeaders);
}

bool CorsPolicy::IsPreflight(const Request& req) {
  return req.method == "OPTIONS" && req.Header("origin") && req.Header("access-control-request-method");
}

Response CorsPolicy::Preflight(const Request& req, const std::vector<std::string>& route_methods) const {
  auto origin = req.Header("origin");
  if (!origin || !IsAllowed(*origin)) {
    return ProblemResponse(Forbidden("Origin is not allowed by the CORS policy"), req.request_id, req.path);
  }
  if (route_methods.empty()) {
    return ProblemResponse(NotFound("No such resource"), req.request_id, req.path);
  }
  std::string wanted(*req.Header("access-control-request-method"));
  bool method_ok = std::find(route_methods.begin(), route_methods.end(), wanted) != route_methods.end() ||
                   (wanted == "HEAD" && std::find(route_methods.begin(), route_methods.end(), "GET") != route_methods.end());
  if (!method_ok) {
    return ProblemResponse(HttpError(405, "method_not_allowed", "Method not allowed",
                                     "The CORS preflight asks for a method this resource does not support"),
                           req.request_id, req.path);
  }
  if (auto requested = req.Header("access-control-request-headers")) {
    std::string list(*requested);
    std::size_t start = 0;
    while (start <= list.size()) {
      auto comma = list.find(',', start);
      std::string item = list.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
      item.erase(0, item.find_first_not_of(" \t"));
      item.erase(item.find_last_not_of(" \t") + 1);
      if (!item.empty() && !HeaderAllowed(item)) {
        return ProblemResponse(Forbidden("The CORS preflight asks for header " + item + " which is not allowed"),
                               req.request_id, req.path);
      }
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
  }
  Response res = Response::NoContent();
  std::string methods;
  for (const auto& m : route_methods) methods += (methods.empty() ? "" : ", ") + m;
  methods += ", OPTIONS";
  res.SetHeader("Access-Control-Allow-Origin", any_ ? "*" : std::string(*origin));
  res.SetHeader("Access-Control-Allow-Methods", methods);
  res.SetHeader("Access-Control-Allow-Headers", kAllowedRequestHeaders);
  res.SetHeader("Access-Control-Max-Age", "600");
  res.SetHeader("Vary", "Origin");
  return res;
}

}  // namespace tenant::api::server
