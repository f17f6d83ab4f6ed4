#pragma once
// One HTTP request as handlers see it, plus the per-request context the server fills in
// (request id, authenticated principal, deadline, matched route template). Independent of
// Boost.Beast so unit tests and fuzzers build requests directly.
#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tenant::api::server {

// Filled by the auth hook (the domain engineer's JWT verifier) from a valid access token.
struct Principal {
  std::string sub;     // user id
  std::string role;    // "admin" | "manager" | "clerk"
  std::string tenant;  // must equal the configured TENANT_ID (checked by the verifier)
  std::string jti;
  std::string username;  // optional, for audit / logs
};

struct Request {
  std::string method;  // "GET", "POST", ... (upper case as received)
  std::string target;  // raw request target, e.g. "/api/v1/products?limit=10"
  std::string path;    // percent-decoded path without the query
  std::multimap<std::string, std::string> query;  // decoded query parameters
  // Header names are stored lower-cased; use Header() for lookups.
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::string client_ip;

  // --- context set by the server before the handler runs ---
  std::string request_id;
  std::string route;  // matched template, e.g. "/api/v1/products/{id}" (metrics label)
  std::map<std::string, std::string> path_params;  // {"id": "42"}
  std::optional<Principal> principal;  // set for authenticated routes
  std::chrono::steady_clock::time_point deadline = std::chrono::steady_clock::time_point::max();

  // Case-insensitive header lookup; first value.
  std::optional<std::string_view> Header(std::string_view name) const;
  // First value of a query parameter.
  std::optional<std::string_view> Query(std::string_view name) const;
  // Path parameter by name; throws HttpError 404 when missing (cannot happen for a matched
  // route unless the name is misspelt).
  const std::string& PathParam(const std::string& name) const;

  bool DeadlineExpired() const { return std::chrono::steady_clock::now() >= deadline; }
  // Time left until the deadline (zero when expired); for pool acquire / statement timeouts.
  std::chrono::milliseconds TimeLeft() const;

  // The principal of an authenticated route; throws HttpError 401 if none.
  const Principal& User() const;
};

// Splits "a=1&b=x%20y" into decoded pairs ('+' means space). Invalid escapes are kept as is.
std::multimap<std::string, std::string> ParseQuery(std::string_view query);
// Percent-decodes a path; returns nullopt on a malformed escape or a decoded NUL.
std::optional<std::string> PercentDecode(std::string_view in, bool plus_is_space);

}  // namespace tenant::api::server
