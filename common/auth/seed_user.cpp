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

namespace {
// One statement for every form: `source` yields the row to insert; with audit_log the
// new user's audit row is written in the same statement.
std::string SeedSql(std::string_view source, bool audit_log_exists) {
  const std::string insert = "INSERT INTO \"users\" (\"username\", \"password_hash\", \"role\") " +
                             std::string(source) + " ON CONFLICT (\"username\") DO NOTHING RETURNING \"id\"";
  if (!audit_log_exists) return insert;
  return "WITH \"created\" AS (" + insert +
         "), "
         "\"audited\" AS (INSERT INTO \"audit_log\" (\"user_id\", \"action\", \"entity\", "
         "\"entity_id\", \"request_id\") SELECT NULL, 'create', 'user', \"id\"::text, $4 "
         "FROM \"created\") "
         "SELECT \"id\" FROM \"created\"";
}

constexpr std::string_view kValues = "VALUES ($1, $2, $3)";
constexpr std::string_view kFirstUser =
    "SELECT $1::text, $2::text, $3::text WHERE NOT EXISTS (SELECT 1 FROM \"users\")";
}  // namespace

std::string_view SeedUserSql(bool audit_log_exists) {
  static const std::string with_audit = SeedSql(kValues, true);
  static const std::string without_audit = SeedSql(kValues, false);
  return audit_log_exists ? with_audit : without_audit;
}

std::string_view SeedFirstUserSql(bool audit_log_exists) {
  static const std::string with_audit = SeedSql(kFirstUser, true);
  static const std::string without_audit = SeedSql(kFirstUser, false);
  return audit_log_exists ? with_audit : without_audit;
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
