#include "operator/database/statements.hpp"

#include "common/pg/quote.hpp"
#include "operator/api/names.hpp"

namespace tenant::database {

using pg::QuoteIdentifier;
using pg::QuoteLiteral;

TenantNames TenantNames::For(std::string_view tenant_id) {
  return TenantNames{api::DatabaseName(tenant_id), api::OwnerRole(tenant_id), api::LoginRoleA(tenant_id),
                     api::LoginRoleB(tenant_id)};
}

Statement SelectServerInfo() {
  return {"SELECT current_setting('server_version') AS server_version, "
          "(SELECT rolsuper FROM pg_roles WHERE rolname = current_user) AS is_superuser",
          {},
          "SelectServerInfo"};
}

Statement SelectPublicSchema() {
  return {"SELECT has_schema_privilege('public', n.oid, 'CREATE') "
          "OR has_schema_privilege('public', n.oid, 'USAGE') AS public_has_privileges, "
          "pg_get_userbyid(n.nspowner) AS owner FROM pg_namespace n WHERE n.nspname = 'public'",
          {},
          "SelectPublicSchema"};
}

Statement CountUsers() {
  return {"SELECT count(*) AS count, to_regclass('audit_log') IS NOT NULL AS audit_log FROM \"users\"", {},
          "CountUsers"};
}

Statement CreateOwnerRole(const TenantNames& n) {
  return {"CREATE ROLE " + QuoteIdentifier(n.owner_role) + " NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION",
          {},
          "CreateOwnerRole"};
}

Statement CreateLoginRole(const TenantNames& n, std::string_view role, std::string_view scram_verifier) {
  std::string sql = "CREATE ROLE " + QuoteIdentifier(role) +
                    " LOGIN INHERIT NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION IN ROLE " +
                    QuoteIdentifier(n.owner_role);
  if (!scram_verifier.empty()) sql += " PASSWORD " + QuoteLiteral(scram_verifier);
  return {sql, {}, "CreateLoginRole"};
}

Statement GrantOwnerTo(const TenantNames& n, std::string_view role) {
  return {"GRANT " + QuoteIdentifier(n.owner_role) + " TO " + QuoteIdentifier(role), {}, "GrantOwnerRole"};
}

Statement SetPassword(std::string_view role, std::string_view scram_verifier) {
  return {"ALTER ROLE " + QuoteIdentifier(role) + " PASSWORD " + QuoteLiteral(scram_verifier), {}, "SetPassword"};
}

Statement RemovePassword(std::string_view role) {
  return {"ALTER ROLE " + QuoteIdentifier(role) + " PASSWORD NULL", {}, "RemovePassword"};
}

Statement TerminateRoleSessions(std::string_view role) {
  return {"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = $1 AND pid <> pg_backend_pid()",
          {std::string(role)},
          "TerminateSessions"};
}

Statement CreateDatabase(const TenantNames& n, int connection_limit) {
  return {"CREATE DATABASE " + QuoteIdentifier(n.database) + " OWNER " + QuoteIdentifier(n.owner_role) +
              " ENCODING 'UTF8' TEMPLATE template0 CONNECTION LIMIT " + std::to_string(connection_limit),
          {},
          "CreateDatabase"};
}

Statement SetConnectionLimit(const TenantNames& n, int connection_limit) {
  return {"ALTER DATABASE " + QuoteIdentifier(n.database) + " CONNECTION LIMIT " + std::to_string(connection_limit),
          {},
          "SetConnectionLimit"};
}

Statement RevokeDatabaseFromPublic(const TenantNames& n) {
  return {"REVOKE ALL ON DATABASE " + QuoteIdentifier(n.database) + " FROM PUBLIC", {}, "RevokeDatabaseFromPublic"};
}

Statement CommentOnDatabase(const TenantNames& n, std::string_view comment) {
  return {"COMMENT ON DATABASE " + QuoteIdentifier(n.database) + " IS " + QuoteLiteral(comment), {}, "CommentOnDatabase"};
}

Statement AlterPublicSchemaOwner(const TenantNames& n) {
  return {"ALTER SCHEMA public OWNER TO " + QuoteIdentifier(n.owner_role), {}, "AlterPublicSchemaOwner"};
}

Statement RevokePublicSchemaFromPublic() {
  return {"REVOKE ALL ON SCHEMA public FROM PUBLIC", {}, "RevokePublicSchemaFromPublic"};
}

std::string ManagedComment(std::string_view ns, std::string_view name, std::string_view uid) {
  return "tenant-operator: tenant=" + std::string(ns) + "/" + std::string(name) + " uid=" + std::string(uid);
}

std::string OrphanedComment(std::string_view ns, std::string_view name, std::string_view uid, std::string_view at) {
  return "tenant-operator: orphaned tenant=" + std::string(ns) + "/" + std::string(name) + " uid=" + std::string(uid) +
         " deleted=" + std::string(at);
}

std::vector<Statement> DropTenantStatements(const TenantNames& n, bool database_exists,
                                            const std::vector<std::string>& existing_roles) {
  std::vector<Statement> out;
  if (database_exists) {
    const std::string db = QuoteIdentifier(n.database);
    // No new sessions, then end the running ones; WITH (FORCE) covers the race between.
    out.push_back({"REVOKE CONNECT ON DATABASE " + db + " FROM PUBLIC, " + QuoteIdentifier(n.owner_role),
                   {}, "RevokeConnect"});
    out.push_back({"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()",
                   {n.database}, "TerminateBackends"});
    out.push_back({"DROP DATABASE IF EXISTS " + db + " WITH (FORCE)", {}, "DropDatabase"});
  }
  if (!existing_roles.empty()) {
    std::string list;
    for (const auto& r : existing_roles) list += (list.empty() ? "" : ", ") + QuoteIdentifier(r);
    // Objects the roles own in the maintenance database (and shared ones) go to the admin.
    out.push_back({"REASSIGN OWNED BY " + list + " TO CURRENT_USER", {}, "ReassignOwned"});
    out.push_back({"DROP OWNED BY " + list, {}, "DropOwned"});
    // Login roles first: they are members of the owner role.
    for (const auto* role : {&n.login_a, &n.login_b, &n.owner_role}) {
      for (const auto& r : existing_roles) {
        if (r == *role) out.push_back({"DROP ROLE IF EXISTS " + QuoteIdentifier(r), {}, "DropRole"});
      }
    }
  }
  return out;
}

Statement SeedFirstAdmin(const auth::PreparedUser& user, bool audit_log_exists) {
  Statement st{std::string(auth::SeedFirstUserSql(audit_log_exists)), {user.username, user.password_hash, user.role},
               "SeedFirstAdmin"};
  if (audit_log_exists) st.params.emplace_back("tenant-operator");
  return st;
}

}  // namespace tenant::database
