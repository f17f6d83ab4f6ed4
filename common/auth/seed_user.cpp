#include "common/auth/seed_user.hpp"

#include <stdexcept>

#include "common/auth/password.hpp"

namespace tenant::auth {

std::optional<std::string> NormalizeUsername(std::string_view username) {
  if (username.empty() || username.size() > 64) return std::nullopt;
  std::string out;
  out.reserve(username.size());
  for (char c : username) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '@' || c == '-';
    if (!ok) return std::nullopt;
    out.push_back(c);
  }
  return out;
}

std::string_view SeedUserSql(bool audit_log_exists) {
  if (!audit_log_exists) {
    return "INSERT INTO \"users\" (\"username\", \"password_hash\", \"role\") "
           "VALUES ($1, $2, $3) "
           "ON CONFLICT (\"username\") DO NOTHING RETURNING \"id\"";
  }
  return "WITH \"created\" AS ("
         "INSERT INTO \"users\" (\"username\", \"password_hash\", \"role\") VALUES ($1, $2, $3) "
         "ON CONFLICT (\"username\") DO NOTHING RETURNING \"id\"), "
         "\"audited\" AS (INSERT INTO \"audit_log\" (\"user_id\", \"action\", \"entity\", "
         "\"entity_id\", \"request_id\") SELECT NULL, 'create', 'user', \"id\"::text, $4 "
         "FROM \"created\") "
         "SELECT \"id\" FROM \"created\"";
}

std::string_view AuditLogExistsSql() { return "SELECT to_regclass('audit_log') IS NOT NULL AS \"audit_log\""; }

PreparedUser PrepareUser(std::string_view username, std::string_view password, std::string_view role,
                         unsigned cost) {
  auto name = NormalizeUsername(username);
  if (!name) throw std::invalid_argument("username must match [a-z0-9._@-]{1,64}");
  // The roles tenant-api's users table and JWT claims know.
  if (role != "admin" && role != "manager" && role != "clerk") {
    throw std::invalid_argument("role must be admin, manager or clerk");
  }
  if (auto problem = PasswordPolicyViolation(password); !problem.empty()) {
    throw std::invalid_argument("password " + problem);
  }
  return PreparedUser{*name, HashPassword(password, cost), std::string(role)};
}

SeedResult SeedUser(pg::Connection& conn, std::string_view username, std::string_view password,
                    std::string_view role, std::string_view audit_request_id) {
  const PreparedUser user = PrepareUser(username, password, role, kBcryptCost);
  const bool audited = conn.Exec(AuditLogExistsSql()).Bool(0, "audit_log");
  pg::Params params{user.username, user.password_hash, user.role};
  if (audited) params.emplace_back(std::string(audit_request_id));
  pg::Result r = conn.Exec(SeedUserSql(audited), params);
  SeedResult out;
  if (!r.empty()) {
    out.created = true;
    out.id = r.Int64(0, 0);
  }
  return out;
}

}  // namespace tenant::auth
