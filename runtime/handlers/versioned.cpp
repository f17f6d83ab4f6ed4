#include "runtime/handlers/versioned.hpp"

#include <algorithm>
#include <chrono>

#include "common/pg/error.hpp"
#include "common/pg/transaction.hpp"
#include "runtime/db/async_acquire.hpp"
#include "runtime/db/async_query.hpp"
#include "runtime/handlers/support.hpp"
#include "runtime/server/http_error.hpp"
#include "runtime/server/request_log.hpp"

namespace tenant::api::handlers {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

std::string ETag(std::int64_t version) { return "\"v" + std::to_string(version) + "\""; }

IfMatch ParseIfMatch(std::optional<std::string_view> header) {
  IfMatch m;
  if (!header) return m;
  m.present = true;
  std::string_view rest = *header;
  while (!rest.empty()) {
    size_t comma = rest.find(',');
    std::string_view item = Trim(rest.substr(0, comma));
    rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
    if (item == "*") {
      m.any = true;
      continue;
    }
    // Weak tags (W/"...") never match under the strong comparison If-Match requires, and
    // tags we did not issue cannot match either: both are simply not collected.
    if (item.size() >= 4 && item.front() == '"' && item.back() == '"' && item[1] == 'v') {
      if (auto v = ParsePositive(item.substr(2, item.size() - 3))) m.versions.push_back(*v);
    }
  }
  return m;
}

std::optional<std::int64_t> ExpectedVersion(const IfMatch& m) {
  if (!m.present || m.any) return std::nullopt;
  // No usable tag: a version that never exists, so the update matches nothing -> 412.
  if (m.versions.empty()) return 0;
  return m.versions.front();
}

pg::Param ExpectedVersionParam(const IfMatch& m) {
  if (auto v = ExpectedVersion(m)) return pg::Param(*v);
  return pg::Param(std::nullopt);
}

IfMatch RequireIfMatch(const server::Request& req) {
  IfMatch m = ParseIfMatch(req.Header("if-match"));
  if (!m.present) {
    throw server::HttpError(428, "precondition_required", "Precondition required",
                            "send If-Match with the ETag from your last read");
  }
  return m;
}

server::Response JsonWithETag(int status, nlohmann::json body, std::int64_t version) {
  auto resp = server::Response::Json(status, std::move(body));
  resp.SetHeader("ETag", ETag(version));
  return resp;
}

server::Response GetVersioned(Domain& d, const server::Request& req, const db::Query& get, std::string_view noun,
                              const std::function<nlohmann::json(const pg::Result&, int row)>& row_json) {
  const auto id = PathId(req);
  auto lease = Acquire(d, req);
  pg::Result r = lease.Exec(get, {id});
  if (r.empty()) throw server::NotFound(std::string(noun) + " not found");
  return JsonWithETag(200, row_json(r, 0), r.Int64(0, "version"));
}

server::Response Created(db::Pool::Lease& lease, const server::Request& req, std::string_view noun,
                         std::string_view base, const pg::Result& r,
                         const std::function<nlohmann::json(const pg::Result&, int row)>& row_json,
                         const nlohmann::json& details) {
  const std::string id = std::to_string(r.Int64(0, "id"));
  Audit(lease, req, "create", noun, id, details);
  auto resp = JsonWithETag(201, row_json(r, 0), r.Int64(0, "version"));
  resp.SetHeader("Location", std::string(base) + "/" + id);
  return resp;
}

server::AsyncHandler GetVersionedAsync(Domain& d, const db::Query& get, std::string noun,
                                       std::function<nlohmann::json(const pg::Result&, int row)> row_json) {
  auto blocking = WithDbErrors([&d, &get, noun, row_json](server::Request& req) {
    return GetVersioned(d, req, get, noun, row_json);
  });
  return [&d, &get, noun = std::move(noun), row_json = std::move(row_json), blocking = std::move(blocking)](
             server::Request& req, const server::AsyncContext& ctx, server::Respond respond) {
    const auto id = PathId(req);
    // The blocking Acquire's bound: the request deadline or the pool's acquire timeout.
    const auto wait_until = std::min(req.deadline, std::chrono::steady_clock::now() + d.pool->acquire_timeout());
    db::AcquireAsyncUntil(*d.pool, ctx.io, wait_until, [&get, &req, ctx, respond, id, noun, row_json, blocking](
                                                         std::exception_ptr error, std::optional<db::Pool::Lease> lease) mutable {
      if (error) return respond(MapDbError(error), {});
      if (req.DeadlineExpired()) {
        return respond(std::make_exception_ptr(server::ServiceUnavailable("request deadline exceeded")), {});
      }
      if (!lease || !lease->conn().IsPrepared(std::string(get.name))) {
        lease.reset();  // the blocking path takes (and prepares, pings or opens) one itself
        ctx.offload([&req, respond, blocking] {
          server::RequestLogScope scope(req.request_id);
          try {
            respond(nullptr, blocking(req));
          } catch (...) {
            respond(std::current_exception(), {});
          }
        });
        return;
      }
      db::AsyncExec(std::move(*lease), ctx.io, get, {id},
                    [respond, noun, row_json](std::exception_ptr error, pg::Result r) {
                      if (error) return respond(MapDbError(error), {});
                      if (r.empty()) return respond(std::make_exception_ptr(server::NotFound(noun + " not found")), {});
                      server::Response res;
                      try {
                        res = JsonWithETag(200, row_json(r, 0), r.Int64(0, "version"));
                      } catch (...) {
                        return respond(std::current_exception(), {});
                      }
                      respond(nullptr, std::move(res));
                    });
    });
  };
}

void MissOrConflict(db::Pool::Lease& lease, const db::Query& exists, std::int64_t id, std::string_view noun) {
  const std::string name(noun);
  if (lease.Exec(exists, {id}).empty()) throw server::NotFound(name + " not found");
  throw server::PreconditionFailed("the " + name + " was modified; fetch it again for the current ETag");
}

pg::Result GuardedWrite(Domain& d, const server::Request& req, const VersionedTable& table,
                        std::int64_t id, std::string_view action, const nlohmann::json& details,
                        const std::function<pg::Result(db::Pool::Lease&)>& write) {
  auto lease = Acquire(d, req);
  pg::Transaction tx(lease.conn());
  pg::Result r = write(lease);
  if (r.empty()) MissOrConflict(lease, table.exists, id, table.noun);
  Audit(lease, req, action, table.noun, std::to_string(id), details);
  tx.Commit();
  return r;
}

server::Response DeleteVersioned(Domain& d, const server::Request& req, const VersionedTable& table,
                                 const db::Query& remove, const server::HttpError& in_use) {
  const auto id = PathId(req);
  const pg::Param expected = ExpectedVersionParam(ParseIfMatch(req.Header("if-match")));
  GuardedWrite(d, req, table, id, "delete", nlohmann::json::object(), [&](db::Pool::Lease& lease) {
    try {
      return lease.Exec(remove, {id, expected});
    } catch (const pg::ForeignKeyViolation&) {
      throw in_use;
    }
  });
  return server::Response::NoContent();
}

}  // namespace tenant::api::handlers
