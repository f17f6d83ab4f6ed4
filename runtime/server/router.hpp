#pragma once
// Route table with templated paths: "/api/v1/products/{id}". The template string is the
// `route` label of every metric and log line, never the raw path.
#include <exception>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/any_io_executor.hpp>

#include "runtime/server/request.hpp"
#include "runtime/server/response.hpp"

namespace tenant::api::server {

// Handlers run on a worker thread (they may block on the database). They return a
// Response or throw HttpError (or anything else, which becomes a 500).
using Handler = std::function<Response(Request&)>;

// A handler that never blocks, run on an I/O thread: it starts its work and answers later,
// exactly once, through `respond` with a response or an error (the error is rendered like
// a thrown one: HttpError, else 500). It may also throw before it starts anything.
using Respond = std::function<void(std::exception_ptr error, Response response)>;
struct AsyncContext {
  boost::asio::any_io_executor io;                            // the connection's I/O thread (single-threaded): completes the I/O it starts
  std::function<void(std::function<void()>)> offload;         // runs a blocking part on a worker
};
using AsyncHandler = std::function<void(Request&, const AsyncContext&, Respond)>;

// Rate-limit classes; the limits per class come from RATE_LIMIT_* (see config).
enum class RateClass {
  kNone,   // not rate limited (health, metrics, openapi)
  kRead,   // GET/HEAD on the API
  kWrite,  // POST/PUT/PATCH/DELETE on the API
  kAuth,   // /auth/* endpoints (the login handler additionally calls RateLimiter::CheckLogin)
};
std::string_view RateClassName(RateClass c);

struct RouteOptions {
  // false = the auth hook must produce a Principal (401 otherwise).
  bool anonymous = false;
  // Roles allowed (after authentication). Empty = any authenticated principal. 403 otherwise.
  std::vector<std::string> roles;
  // Defaulted from the method when not set: GET/HEAD -> kRead, others -> kWrite.
  std::optional<RateClass> rate_class;
  // true = the request must carry Content-Type: application/json (415 otherwise) and a
  // body within the JSON limits (parse it in the handler with ParseJsonBody / JsonObject).
  bool json_body = false;
  // true = run directly on the I/O thread (only for cheap handlers that never block:
  // /health/live, /metrics, /openapi.json).
  bool inline_handler = false;
  // Per-route deadline override in ms (0 = REQUEST_TIMEOUT_MS).
  int timeout_ms = 0;
  // Optional non-blocking variant of the handler, which the server then runs on its I/O
  // threads instead of handing the request to a worker. The blocking handler stays the
  // reference behaviour (Pipeline::Handle, tests, fuzzing) and must answer the same.
  AsyncHandler async_handler;

  // Builders for readable registrations: RouteOptions::Roles({"admin"}).Json()
  static RouteOptions Anonymous() { RouteOptions o; o.anonymous = true; return o; }
  static RouteOptions Roles(std::vector<std::string> r) { RouteOptions o; o.roles = std::move(r); return o; }
  RouteOptions& Json() { json_body = true; return *this; }
  RouteOptions& Class(RateClass c) { rate_class = c; return *this; }
  RouteOptions& Async(AsyncHandler h) { async_handler = std::move(h); return *this; }
};

struct Route {
  std::string method;
  std::string path_template;
  Handler handler;
  RouteOptions options;
};

class Router {
 public:
  // Registers a route. Templates are "/"-separated literal segments or "{name}" segments
  // (a whole segment). Throws std::invalid_argument on a malformed template or a duplicate
  // method+template.
  void Add(std::string_view method, std::string_view path_template, Handler handler,
           RouteOptions options = {});
  void Get(std::string_view t, Handler h, RouteOptions o = {}) { Add("GET", t, std::move(h), std::move(o)); }
  void Post(std::string_view t, Handler h, RouteOptions o = {}) { Add("POST", t, std::move(h), std::move(o)); }
  void Put(std::string_view t, Handler h, RouteOptions o = {}) { Add("PUT", t, std::move(h), std::move(o)); }
  void Patch(std::string_view t, Handler h, RouteOptions o = {}) { Add("PATCH", t, std::move(h), std::move(o)); }
  void Delete(std::string_view t, Handler h, RouteOptions o = {}) { Add("DELETE", t, std::move(h), std::move(o)); }

  struct Match {
    const Route* route = nullptr;               // null: no route for this method+path
    std::map<std::string, std::string> params;  // path parameters of the match
    std::vector<std::string> allowed_methods;   // path matched but not the method (405 / CORS)
  };
  // Literal segments win over parameters at the same position. HEAD falls back to GET.
  Match Find(std::string_view method, std::string_view path) const;

  const std::vector<std::unique_ptr<Route>>& routes() const { return routes_; }

 struct Node;  // trie node (router.cpp)

 private:
  std::vector<std::unique_ptr<Route>> routes_;
  std::shared_ptr<Node> root_;
};

// Authentication hook: the domain engineer's JWT verifier. Called for non-anonymous routes
// with the request (it reads the Authorization header itself). Returns the principal or
// throws HttpError (401 via Unauthorized(...)); it counts auth_failures_total{reason} itself.
using AuthHook = std::function<Principal(const Request&)>;

}  // namespace tenant::api::server
