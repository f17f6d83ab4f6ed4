#pragma once
// Optimistic concurrency for versioned rows (customers, products, users, orders): the ETag
// of a row version, If-Match parsing, and the 428 / 412 / 404 answers of guarded writes.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/pg/params.hpp"
#include "runtime/db/pool.hpp"
#include "runtime/db/query.hpp"
#include "runtime/handlers/domain.hpp"
#include "runtime/server/http_error.hpp"
#include "runtime/server/request.hpp"
#include "runtime/server/response.hpp"
#include "runtime/server/router.hpp"

namespace tenant::api::handlers {

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
// A header naming several tags is matched against its first one.
std::optional<std::int64_t> ExpectedVersion(const IfMatch& m);
// ExpectedVersion as a bound parameter (NULL = any version).
pg::Param ExpectedVersionParam(const IfMatch& m);

// The If-Match of an update, which must carry one: 428 without it.
IfMatch RequireIfMatch(const server::Request& req);

// A JSON representation of one row version, with its ETag header.
server::Response JsonWithETag(int status, nlohmann::json body, std::int64_t version);

// GET of the row named by the path id: `row_json` of it with its ETag; 404 ("<noun> not
// found") when `get` (SELECT ... WHERE id = $1, with a "version" column) finds nothing.
server::Response GetVersioned(Domain& d, const server::Request& req, const db::Query& get, std::string_view noun,
                              const std::function<nlohmann::json(const pg::Result&, int row)>& row_json);
// The same as a non-blocking route handler (RouteOptions::async_handler) for the I/O
// threads: the connection is taken with db::AcquireAsyncUntil (bounded like Acquire: the
// request deadline or the pool's acquire timeout, then 503) and the query runs with
// db::AsyncExec. Whatever would block (opening or pinging a connection, preparing the
// statement on a new connection) goes to a worker through GetVersioned itself.
server::AsyncHandler GetVersionedAsync(Domain& d, const db::Query& get, std::string noun,
                                       std::function<nlohmann::json(const pg::Result&, int row)> row_json);

// The answer to a POST that inserted row 0 of `r` (with "id" and "version" columns) into
// the resource at `base`: its audit row (action "create", `details`), then 201 with
// `row_json` of it, its ETag and Location `base`/<id>.
server::Response Created(db::Pool::Lease& lease, const server::Request& req, std::string_view noun,
                         std::string_view base, const pg::Result& r,
                         const std::function<nlohmann::json(const pg::Result&, int row)>& row_json,
                         const nlohmann::json& details = nlohmann::json::object());

// An update or delete guarded by id and version matched no row: 404 when the row is gone,
// 412 when it changed since the client read it. `exists` selects the row by id ($1);
// `noun` names the resource in the messages ("product").
[[noreturn]] void MissOrConflict(db::Pool::Lease& lease, const db::Query& exists, std::int64_t id,
                                 std::string_view noun);

// A table of versioned rows, as guarded writes name it.
struct VersionedTable {
  const db::Query& exists;  // SELECT ... WHERE id = $1
  std::string_view noun;    // "product": messages and the audit entity
};
// Runs `write` (an UPDATE or DELETE of row `id` guarded by the expected version, RETURNING
// the row) in one transaction with its audit row (`action`, `details`) and returns its
// result; when it matched no row, MissOrConflict answers instead.
pg::Result GuardedWrite(Domain& d, const server::Request& req, const VersionedTable& table,
                        std::int64_t id, std::string_view action, const nlohmann::json& details,
                        const std::function<pg::Result(db::Pool::Lease&)>& write);
// DELETE of the row named by the path id through `remove` ($1 id, $2 expected version or
// NULL, RETURNING the id), guarded by an optional If-Match; a row still referenced by
// another (foreign key) answers `in_use`.
server::Response DeleteVersioned(Domain& d, const server::Request& req, const VersionedTable& table,
                                 const db::Query& remove, const server::HttpError& in_use);

}  // namespace tenant::api::handlers
