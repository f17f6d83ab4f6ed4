#include "runtime/handlers/auth.hpp"

#include <cctype>

#include "common/pg/transaction.hpp"
#include "runtime/auth/crypto.hpp"
#include "runtime/auth/password.hpp"
#include "runtime/auth/refresh_token.hpp"
#include "common/auth/seed_user.hpp"
#include "runtime/db/user_queries.hpp"
#include "runtime/handlers/support.hpp"
#include "runtime/ratelimit/rate_limiter.hpp"
#include "runtime/server/json_body.hpp"

namespace tenant::api::handlers {
namespace {

using nlohmann::json;

std::string HashParam(std::string_view token) {
  return "\\x" + auth::HexEncode(auth::HashRefreshToken(token));
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

[[noreturn]] void Fail(Domain& d, std::string_view reason, std::string detail) {
  d.auth_failures.WithLabelValues({reason}).Inc();
  throw server::Unauthorized(std::move(detail));
}

// Issues a fresh access token and stores a new refresh token in `family` (nullopt = new
// family, i.e. a login), inside the caller's transaction.
json IssueTokens(Domain& d, db::Pool::Lease& lease, std::int64_t user_id, auth::Role role,
                 const pg::Param& family) {
  auto refresh = auth::GenerateRefreshToken();
  lease.Exec(db::tokens::kInsert,
             {"\\x" + auth::HexEncode(refresh.hash), user_id, family});
  return {{"access_token", d.jwt.Issue(std::to_string(user_id), role)},
          {"token_type", "Bearer"},
          {"expires_in", auth::JwtCodec::kAccessTokenLifetime.count()},
          {"refresh_token", refresh.token},
          {"refresh_expires_in",
           std::chrono::duration_cast<std::chrono::seconds>(auth::kRefreshTokenLifetime).count()},
          {"role", auth::RoleName(role)}};
}

server::Response Login(Domain& d, server::Request& req) {
  json body = server::ParseJsonBody(req);
  server::JsonObject in(body);
  auto username = in.RequiredString("username", {1, 256});
  auto password = in.RequiredString("password", {1, 1024});
  in.Finish();
  const std::optional<std::string> normalized = tenant::auth::NormalizeUsername(*username);
  // Counted before the password is checked so guessing is limited per username + IP; keyed
  // by the normalized name so "Admin" and "ADMIN" share one budget.
  if (d.rate_limiter != nullptr) d.rate_limiter->EnforceLogin(normalized.value_or(*username), req);

  struct Found {
    std::int64_t id;
    std::string hash;
    std::string role;
    bool active;
  };
  std::optional<Found> found;
  if (const auto& name = normalized) {
    // The connection goes back to the pool before bcrypt runs (~250 ms of CPU).
    auto lease = Acquire(d, req);
    pg::Result r = lease.Exec(db::users::kForLogin, {*name});
    if (!r.empty()) {
      found = Found{r.Int64(0, "id"), std::string(r.Value(0, "password_hash")),
                    std::string(r.Value(0, "role")), r.Bool(0, "active")};
    }
  }
  // The work of one bcrypt at cost 12 on every path (a cheaper stored hash is padded), so
  // timing does not reveal whether the user exists, is deactivated or was seeded by the
  // operator.
  bool ok = false;
  if (found) {
    ok = auth::VerifyPassword(*password, found->hash, d.bcrypt_cost) && found->active;
  } else {
    auth::VerifyAgainstDummy(*password);
  }
  auth::Role role{};
  if (!ok || !auth::ParseRole(found->role, role)) {
    Fail(d, "invalid_credentials", "invalid username or password");
  }

  auto lease = Acquire(d, req);
  pg::Transaction tx(lease.conn());
  json out = IssueTokens(d, lease, found->id, role, std::nullopt);
  Audit(lease, req, "login", "user", std::to_string(found->id), json::object(), found->id);
  tx.Commit();
  return server::Response::Json(200, out);
}

// The token of a {"refresh_token": "..."} body (refresh, logout); 422 otherwise.
std::string RefreshTokenOf(server::Request& req) {
  json body = server::ParseJsonBody(req);
  server::JsonObject in(body);
  auto token = in.RequiredString("refresh_token", {1, 256});
  in.Finish();
  return *token;
}

// The stored row of a refresh token, locked for the caller's transaction; empty if unknown.
pg::Result LockRefreshToken(db::Pool::Lease& lease, const std::string& token) {
  return lease.Exec(db::tokens::kLockByHash, {HashParam(token)});
}

server::Response Refresh(Domain& d, server::Request& req) {
  const std::string token = RefreshTokenOf(req);
  auto lease = Acquire(d, req);
  pg::Transaction tx(lease.conn());
  pg::Result r = LockRefreshToken(lease, token);
  if (r.empty()) Fail(d, "refresh_invalid", "invalid refresh token");
  const std::int64_t token_id = r.Int64(0, "id");
  const std::string family(r.Value(0, "family_id"));
  const std::int64_t user_id = r.Int64(0, "user_id");
  if (r.Bool(0, "revoked")) Fail(d, "refresh_revoked", "invalid refresh token");
  if (r.Bool(0, "used")) {
    // A spent token came back: either the client or an attacker holds a stolen copy. We
    // cannot tell which, so every token of this login is revoked (OAuth 2.0 Security BCP
    // 4.14.2); the user must log in again.
    lease.Exec(db::tokens::kRevokeFamily, {family});
    Audit(lease, req, "refresh_reuse_detected", "user", std::to_string(user_id),
          {{"family", family}}, user_id);
    tx.Commit();
    Fail(d, "refresh_reuse", "invalid refresh token");
  }
  if (r.Bool(0, "expired")) Fail(d, "refresh_expired", "refresh token expired");
  auth::Role role{};
  if (!r.Bool(0, "active") || !auth::ParseRole(r.Value(0, "role"), role)) {
    Fail(d, "user_inactive", "invalid refresh token");
  }
  lease.Exec(db::tokens::kMarkUsed, {token_id});
  json out = IssueTokens(d, lease, user_id, role, family);
  Audit(lease, req, "refresh", "user", std::to_string(user_id), json::object(), user_id);
  tx.Commit();
  return server::Response::Json(200, out);
}

server::Response Logout(Domain& d, server::Request& req) {
  const std::string token = RefreshTokenOf(req);
  auto lease = Acquire(d, req);
  pg::Transaction tx(lease.conn());
  pg::Result r = LockRefreshToken(lease, token);
  // Unknown or already revoked tokens also answer 204: logout reveals nothing.
  if (!r.empty() && !r.Bool(0, "revoked")) {
    const std::int64_t user_id = r.Int64(0, "user_id");
    lease.Exec(db::tokens::kRevokeFamily, {std::string(r.Value(0, "family_id"))});
    Audit(lease, req, "logout", "user", std::to_string(user_id), json::object(), user_id);
  }
  tx.Commit();
  return server::Response::NoContent();
}

}  // namespace

void RegisterAuthRoutes(server::Router& router, Domain& d) {
  auto opts = server::RouteOptions::Anonymous().Json().Class(server::RateClass::kAuth);
  auto bind = [&d](server::Response (*fn)(Domain&, server::Request&)) { return DomainHandler(d, fn); };
  router.Post("/api/v1/auth/token", bind(Login), opts);
  router.Post("/api/v1/auth/refresh", bind(Refresh), opts);
  router.Post("/api/v1/auth/logout", bind(Logout), opts);
}

server::AuthHook MakeAuthenticator(Domain& d) {
  return [&d](const server::Request& req) -> server::Principal {
    auto header = req.Header("authorization");
    if (!header) Fail(d, "missing_token", "missing bearer token");
    std::string_view h = *header;
    // The scheme is case-insensitive (RFC 9110 11.1).
    if (h.size() < 8 || !EqualsIgnoreCase(h.substr(0, 7), "bearer ")) {
      Fail(d, "malformed_token", "expected Authorization: Bearer <token>");
    }
    auto result = d.jwt.Verify(h.substr(7));
    if (!result.ok()) {
      const auto reason = auth::JwtErrorReason(result.error());
      Fail(d, reason, result.error() == auth::JwtError::kExpired ? "token expired"
                                                                  : "invalid token");
    }
    const auto& c = result.claims();
    server::Principal p;
    p.sub = c.subject;
    p.role = std::string(auth::RoleName(c.role));
    p.tenant = c.tenant;
    p.jti = c.jti;
    return p;
  };
}

}  // namespace tenant::api::handlers
