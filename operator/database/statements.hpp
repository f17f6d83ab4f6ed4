#pragma once
// SQL for a tenant's database and roles, as pure builders: identifiers quoted with
// pg::QuoteIdentifier, values bound as parameters. The few utility statements that cannot
// take parameters (PASSWORD, COMMENT ON) embed a pg::QuoteLiteral value that is never a
// plain password: only a SCRAM-SHA-256 verifier computed client-side, or the comment.
#include <string>
#include <string_view>
#include <vector>

#include "common/auth/seed_user.hpp"
#include "common/pg/params.hpp"

namespace tenant::database {

struct Statement {
  std::string sql;
  pg::Params params;
  // A short name for logs, metrics and Events ("CreateDatabase"); never holds values.
  std::string action;
};

// Names of one tenant's PostgreSQL objects.
struct TenantNames {
  std::string database;
  std::string owner_role;
  std::string login_a;
  std::string login_b;
  static TenantNames For(std::string_view tenant_id);
};

// ---- reads (admin connection to the maintenance database) ----
// Columns: rolname, rolcanlogin, rolconnlimit, has_password (needs pg_authid -> superuser;
// otherwise falls back to NULL), member_of_owner.
// Columns: server_version, is_superuser.
Statement SelectServerInfo();
// ---- reads (admin connection to the tenant database) ----
// Columns: public_can_create (bool), public_owner.
Statement SelectPublicSchema();
// Columns: count (users in the tenant's "users" table).
Statement CountUsers();

// ---- writes ----
Statement CreateOwnerRole(const TenantNames& n);
// LOGIN, no superuser/createdb/createrole, member of the owner role, password = verifier
// (empty verifier = no password: the role cannot log in until one is set).
Statement CreateLoginRole(const TenantNames& n, std::string_view role, std::string_view scram_verifier);
Statement GrantOwnerTo(const TenantNames& n, std::string_view role);
Statement SetPassword(std::string_view role, std::string_view scram_verifier);
Statement RemovePassword(std::string_view role);
// Terminates every session of `role` except the caller's.
Statement TerminateRoleSessions(std::string_view role);
Statement CreateDatabase(const TenantNames& n, int connection_limit);
Statement SetConnectionLimit(const TenantNames& n, int connection_limit);
Statement RevokeDatabaseFromPublic(const TenantNames& n);
Statement CommentOnDatabase(const TenantNames& n, std::string_view comment);
// In the tenant database: the owner role owns schema public (so migrations never hit
// "permission denied for schema public") and PUBLIC has no rights on it.
Statement AlterPublicSchemaOwner(const TenantNames& n);
Statement RevokePublicSchemaFromPublic();

// Comment on the database carrying the Tenant's identity, so orphans can be found.
std::string ManagedComment(std::string_view ns, std::string_view name, std::string_view uid);
std::string OrphanedComment(std::string_view ns, std::string_view name, std::string_view uid,
                            std::string_view at);

// ---- deletion (deletionPolicy: Delete), in order ----
// Only statements for objects that still exist (observed just before), so a retried
// deletion continues where an earlier attempt stopped. The REVOKE needs the owner role;
// when the database exists the owner role exists too (it owns it).
std::vector<Statement> DropTenantStatements(const TenantNames& n, bool database_exists,
                                            const std::vector<std::string>& existing_roles);

// First admin user of the tenant API: tenant-api's own seeding statement (common/auth) in
// its first-user form, with the user prepared (validated, bcrypt-hashed) by
// auth::PrepareUser. Inserts only while the tenant has no users, with its audit_log row
// when that table exists (a schema pinned below migration 4 has none); returns the new id
// (no row when nothing was inserted).
Statement SeedFirstAdmin(const auth::PreparedUser& user, bool audit_log_exists);

}  // namespace tenant::database
