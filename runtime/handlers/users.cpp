#include "runtime/handlers/users.hpp"

#include "common/pg/error.hpp"
#include "runtime/auth/password.hpp"
#include "common/auth/seed_user.hpp"
#include "runtime/db/user_queries.hpp"
#include "runtime/handlers/page.hpp"
#include "runtime/handlers/support.hpp"
#include "runtime/handlers/versioned.hpp"
#include "runtime/server/json_body.hpp"

namespace tenant::api::handlers {
namespace {

using nlohmann::json;
namespace q = db::users;

json UserJson(const pg::Result& r, int row) {
  return {{"id", r.Int64(row, "id")},
          {"username", r.Value(row, "username")},
          {"role", r.Value(row, "role")},
          {"active", r.Bool(row, "active")},
          {"version", r.Int64(row, "version")},
          {"created_at", r.Value(row, "created_at")},
          {"updated_at", r.Value(row, "updated_at")}};
}

server::Response WithETag(int status, const pg::Result& r) {
  return JsonWithETag(status, UserJson(r, 0), r.Int64(0, "version"));
}

void CheckPassword(server::JsonObject& in, const std::optional<std::string>& password) {
  if (!password) return;
  if (auto problem = auth::PasswordPolicyViolation(*password); !problem.empty()) {
    in.AddError("password", problem);
  }
}

server::Response Create(Domain& d, server::Request& req) {
  json body = server::ParseJsonBody(req);
  server::JsonObject in(body);
  auto username = in.RequiredString("username", {1, 64});
  auto password = in.RequiredString("password", {1, 1024});
  auto role = in.RequiredString("role", {1, 16});
  std::optional<std::string> normalized;
  if (username) {
    normalized = tenant::auth::NormalizeUsername(*username);
    if (!normalized) in.AddError("username", "may contain only letters, digits, '.', '_', '@' and '-'");
  }
  auth::Role parsed{};
  if (role && !auth::ParseRole(*role, parsed)) in.AddError("role", "must be admin, manager or clerk");
  CheckPassword(in, password);
  in.Finish();

  // Hash before taking a connection: bcrypt is ~250 ms of CPU.
  const std::string hash = auth::HashPassword(*password, d.bcrypt_cost);
  return RunWrite(d, req, body, [&](db::Pool::Lease& lease) {
    pg::Result r;
    try {
      r = lease.Exec(q::kInsert, {*normalized, hash, *role});
    } catch (const pg::UniqueViolation&) {
      throw server::HttpError(409, "duplicate_username", "Duplicate username",
                              "a user with this username already exists",
                              {{"username", "already exists"}});
    }
    return Created(lease, req, "user", "/api/v1/users", r, UserJson, {{"username", *normalized}, {"role", *role}});
  });
}

server::Response Get(Domain& d, server::Request& req) {
  return GetVersioned(d, req, q::kGet, "user", UserJson);
}

server::Response List(Domain& d, server::Request& req) {
  auto page = ParsePage(req);
  std::vector<server::FieldError> errors;
  auto active = QueryBool(req, "active", errors);
  pg::Param role = std::nullopt;
  if (auto v = req.Query("role")) {
    auth::Role parsed{};
    if (!auth::ParseRole(*v, parsed)) errors.push_back({"role", "must be admin, manager or clerk"});
    role = *v;
  }
  if (!errors.empty()) throw server::ValidationFailed(std::move(errors));
  pg::Param active_param = std::nullopt;
  if (active) active_param = *active;
  auto lease = Acquire(d, req);
  pg::Result r = lease.Exec(q::kList, {page.after_id, page.limit + 1, role, active_param});
  return PageResponse(ToPage(r, page, UserJson));
}

server::Response Deactivate(Domain& d, server::Request& req) {
  const auto id = PathId(req);
  if (id == CurrentUserId(req)) {
    throw server::Conflict("cannot_deactivate_self",
                           "an admin cannot deactivate their own account");
  }
  return RunWrite(d, req, nullptr, [&](db::Pool::Lease& lease) {
    pg::Result r = lease.Exec(q::kDeactivate, {id});
    if (r.empty()) throw server::NotFound("user not found");
    // Existing sessions end with the account: refresh tokens stop working at once, access
    // tokens expire within their 15 minutes.
    lease.Exec(db::tokens::kRevokeUser, {id});
    Audit(lease, req, "deactivate", "user", std::to_string(id));
    return WithETag(200, r);
  });
}

server::Response ChangePassword(Domain& d, server::Request& req) {
  const auto id = PathId(req);
  json body = server::ParseJsonBody(req);
  server::JsonObject in(body);
  auto password = in.RequiredString("password", {1, 1024});
  CheckPassword(in, password);
  in.Finish();
  const std::string hash = auth::HashPassword(*password, d.bcrypt_cost);
  return RunWrite(d, req, body, [&](db::Pool::Lease& lease) {
    pg::Result r = lease.Exec(q::kSetPassword, {id, hash});
    if (r.empty()) throw server::NotFound("user not found");
    lease.Exec(db::tokens::kRevokeUser, {id});
    Audit(lease, req, "change_password", "user", std::to_string(id));
    return server::Response::NoContent();
  });
}

}  // namespace

void RegisterUserRoutes(server::Router& router, Domain& d) {
  const auto admin = server::RouteOptions::Roles({"admin"});
  auto bind = [&d](server::Response (*fn)(Domain&, server::Request&)) { return DomainHandler(d, fn); };
  router.Post("/api/v1/users", bind(Create), server::RouteOptions(admin).Json());
  router.Get("/api/v1/users", bind(List), admin);
  router.Get("/api/v1/users/{id}", bind(Get),
             server::RouteOptions(admin).Async(GetVersionedAsync(d, q::kGet, "user", UserJson)));
  router.Post("/api/v1/users/{id}/deactivate", bind(Deactivate), admin);
  router.Post("/api/v1/users/{id}/password", bind(ChangePassword), server::RouteOptions(admin).Json());
}

}  // namespace tenant::api::handlers
