#pragma once
// Small helpers every resource handler uses: ids from paths, ETags and If-Match, audit
// rows, database error mapping, and the transaction + Idempotency-Key wrapper for writes.
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

// A positive decimal id from the path; 404 otherwise (an id that cannot exist is not found).
std::int64_t PathId(const server::Request& req, const std::string& name = "id");
// The authenticated user's id (principal sub).
std::int64_t CurrentUserId(const server::Request& req);

// A pooled connection, waiting at most until the request deadline; 503 when none.
db::Pool::Lease Acquire(Domain& d, const server::Request& req);

// Strong ETag of a row version: "\"v3\"".
std::string ETag(std::int64_t version);

// If-Match (RFC 9110 13.1.1, strong comparison): absent, "*", or a list of entity tags.
struct IfMatch {
  bool present = false;
  bool any = false;                     // "*"
  std::vector<std::int64_t> versions;   // versions named by our strong tags
};
IfMatch ParseIfMatch(std::optional<std::string_view> header);
// The version to put in "WHERE version = $n": nullopt means "any" (absent header or "*").
// A header naming several tags is matched against the current version by the caller.
std::optional<std::int64_t> ExpectedVersion(const IfMatch& m);

// Inserts the audit_log row of a write, inside the caller's transaction. The acting user
// is the principal, or `actor` for anonymous endpoints that identify a user (login).
void Audit(db::Pool::Lease& lease, const server::Request& req, std::string_view action,
           std::string_view entity, std::string_view entity_id,
           const nlohmann::json& details = nlohmann::json::object(),
           std::optional<std::int64_t> actor = std::nullopt);

// Wraps a handler: pool/connection failures and timeouts -> 503, serialization failures
// and deadlocks are retried (twice) then 503, any other pg::Error -> 500 without SQL text.
server::Handler WithDbErrors(server::Handler handler);

// Runs `effect` in one transaction. With an Idempotency-Key header the key is claimed in the
// same transaction: a replay with the same body gets the stored response (and
// Idempotent-Replayed: true) without running `effect`; a different body -> 422. Only 2xx
// responses are stored: an error rolls everything back and releases the key.
// `canonical_body` is the parsed request body (null for body-less POSTs).
server::Response RunWrite(Domain& d, server::Request& req, const nlohmann::json& canonical_body,
                          const std::function<server::Response(db::Pool::Lease&)>& effect);

// Keyset page request from ?cursor= and ?limit= (422 listing both problems).
struct PageRequest {
  std::int64_t after_id = 0;
  int limit = 50;
};
PageRequest ParsePage(const server::Request& req);
// {"items": items, "next_cursor": cursor-or-null}. Pages are fetched with limit + 1 rows so
// `has_more` is known without a count; last_id is the id of the last item returned.
nlohmann::json PageBody(nlohmann::json items, bool has_more, std::int64_t last_id);

// Optional boolean query parameter ("true"/"false"); adds a field error otherwise.
std::optional<bool> QueryBool(const server::Request& req, std::string_view name,
                              std::vector<server::FieldError>& errors);

// "%text%" for ILIKE with %, _ and \ escaped so user text is never a pattern.
std::string ContainsPattern(std::string_view text);

}  // namespace tenant::api::handlers
