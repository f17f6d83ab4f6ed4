#pragma once
// Small helpers every resource handler uses: ids from paths, audit rows, database error
// mapping, and the transaction + Idempotency-Key wrapper for writes. (ETag / If-Match:
// versioned.hpp; list paging: page.hpp.)
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "runtime/db/pool.hpp"
#include "runtime/handlers/domain.hpp"
#include "runtime/server/http_error.hpp"
#include "runtime/server/request.hpp"
#include "runtime/server/response.hpp"
#include "runtime/server/router.hpp"

namespace tenant::api::handlers {

// A positive decimal without sign or leading zeros (ids, versions); nullopt otherwise.
std::optional<std::int64_t> ParsePositive(std::string_view text);
// A positive decimal id from the path; 404 otherwise (an id that cannot exist is not found).
std::int64_t PathId(const server::Request& req, const std::string& name = "id");
// The authenticated user's id (principal sub).
std::int64_t CurrentUserId(const server::Request& req);

// A pooled connection, waiting at most until the request deadline; 503 when none.
db::Pool::Lease Acquire(Domain& d, const server::Request& req);

// Inserts the audit_log row of a write, inside the caller's transaction. The acting user
// is the principal, or `actor` for anonymous endpoints that identify a user (login).
void Audit(db::Pool::Lease& lease, const server::Request& req, std::string_view action,
           std::string_view entity, std::string_view entity_id,
           const nlohmann::json& details = nlohmann::json::object(),
           std::optional<std::int64_t> actor = std::nullopt);

// Wraps a handler: pool/connection failures and timeouts -> 503, serialization failures
// and deadlocks are retried (twice) then 503, any other pg::Error -> 500 without SQL text.
server::Handler WithDbErrors(server::Handler handler);
// The same mapping for an error reported rather than thrown (asynchronous handlers); other
// errors are returned unchanged. No retries: callers that retry handle TransactionRollback.
std::exception_ptr MapDbError(std::exception_ptr error);
// The route handler of a resource function: `fn(d, req)` wrapped in WithDbErrors.
server::Handler DomainHandler(Domain& d, server::Response (*fn)(Domain&, server::Request&));

// The five routes of a resource that every role reads and `writers` change: POST and GET on
// `base`, GET, PATCH (JSON body) and DELETE on `base`/{id}.
using ResourceFn = server::Response (*)(Domain&, server::Request&);
struct CrudHandlers {
  ResourceFn create, list, get, update, remove;
  server::AsyncHandler get_async = nullptr;  // non-blocking variant of `get`, if any
};
void RegisterCrudRoutes(server::Router& router, Domain& d, const std::string& base, const CrudHandlers& fns,
                        const server::RouteOptions& writers);

// Runs `effect` in one transaction. With an Idempotency-Key header the key is claimed in the
// same transaction: a replay with the same body gets the stored response (and
// Idempotent-Replayed: true) without running `effect`; a different body -> 422. Only 2xx
// responses are stored: an error rolls everything back and releases the key.
// `canonical_body` is the parsed request body (null for body-less POSTs).
server::Response RunWrite(Domain& d, server::Request& req, const nlohmann::json& canonical_body,
                          const std::function<server::Response(db::Pool::Lease&)>& effect);

// Optional boolean query parameter ("true"/"false"); adds a field error otherwise.
std::optional<bool> QueryBool(const server::Request& req, std::string_view name,
                              std::vector<server::FieldError>& errors);

// "%text%" for ILIKE with %, _ and \ escaped so user text is never a pattern.
std::string ContainsPattern(std::string_view text);

}  // namespace tenant::api::handlers
