#pragma once
// Pure cross-cutting pieces applied to every response: request id, security headers, CORS.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/server/request.hpp"
#include "runtime/server/response.hpp"

namespace tenant::api::server {

// [A-Za-z0-9._-]{1,128}
bool IsValidRequestId(std::string_view id);
// 32 lowercase hex characters (128 random bits).
std::string GenerateRequestId();
// The client's X-Request-ID when valid, else a new one.
std::string RequestIdFor(const Request& req);

// Strict-Transport-Security, X-Content-Type-Options, X-Frame-Options, Content-Security-Policy,
// Referrer-Policy, Cache-Control (overwrites anything a handler set for these).
void ApplySecurityHeaders(Response& res);

class CorsPolicy {
 public:
  explicit CorsPolicy(std::vector<std::string> allowed_origins);

  bool allows_any() const { return any_; }
  bool IsAllowed(std::string_view origin) const;

  // Headers for an actual (non-preflight) response to a request with this Origin.
  void ApplyToResponse(const Request& req, Response& res) const;

  // Preflight: OPTIONS with Origin + Access-Control-Request-Method. `route_methods` are the
  // methods registered for the path (empty = no such path). Returns the 204 / 403 / 404 reply.
  static bool IsPreflight(const Request& req);
  Response Preflight(const Request& req, const std::vector<std::string>& route_methods) const;

 private:
  std::vector<std::string> origins_;
  bool any_ = false;
};

}  // namespace tenant::api::server
