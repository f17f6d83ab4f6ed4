#include "runtime/app/migration_role.hpp"

#include <stdexcept>

#include "common/tenancy/database_names.hpp"

namespace tenant::api::app {

std::optional<std::string> OwnerRoleForTenant(std::string_view id) {
  if (!tenancy::IsValidTenantId(id)) return std::nullopt;
  return tenancy::OwnerRole(id);
}

MigrationRoleChoice ChooseMigrationRole(const std::optional<std::string>& flag,
                                        const std::optional<std::string>& env,
                                        std::string_view tenant_id) {
  if (flag && !flag->empty()) return {*flag, "--role", true};
  if (env && !env->empty()) return {*env, "DB_MIGRATION_ROLE", true};
  if (auto owner = OwnerRoleForTenant(tenant_id)) return {*owner, "TENANT_ID", false};
  return {"", "current user", false};
}

MigrationRoleChoice ResolveMigrationRole(pg::Connection& conn, MigrationRoleChoice choice, std::string* note) {
  if (choice.role.empty()) return choice;
  // pg_has_role(..., 'MEMBER'): SET ROLE is allowed exactly for roles we are a member of
  // (superusers are members of every role).
  pg::Result r = conn.Exec(
      "SELECT pg_has_role(current_user, \"oid\", 'MEMBER') FROM \"pg_catalog\".\"pg_roles\" WHERE \"rolname\" = $1",
      {choice.role});
  const bool exists = !r.empty();
  const bool member = exists && r.Bool(0, 0);
  if (exists && member) return choice;
  const std::string why = !exists ? "role " + choice.role + " does not exist"
                                  : "the connected user is not a member of role " + choice.role;
  if (choice.required) throw std::runtime_error("cannot migrate as " + choice.source + " role: " + why);
  if (note != nullptr) *note = why + "; migrating as the current user";
  return {"", "current user", false};
}

}  // namespace tenant::api::app
