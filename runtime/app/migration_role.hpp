#pragma once
// Which role `tenant-api migrate` runs the migrations as. The operator migrates every tenant
// database as the tenant's owner role (NOLOGIN, "erp_tenant_<id>_owner"), so the tables
// and schema_migrations belong to it; a manual `tenant-api migrate` must do the same, or
// objects created by the login role could not be altered by the next operator-run
// migration. Precedence: --role, then DB_MIGRATION_ROLE, then the owner role derived from
// TENANT_ID when it exists and the connected user is a member of it, else the current user.
#include <optional>
#include <string>
#include <string_view>

#include "common/pg/connection.hpp"

namespace tenant::api::app {

// "erp_tenant_<id>_owner" (DESIGN.md; operator/api/names.hpp OwnerRole), or nullopt when
// `tenant_id` is not a valid tenant id (^[a-z][a-z0-9_]{0,39}$, the CRD's pattern).
std::optional<std::string> OwnerRoleForTenant(std::string_view tenant_id);

struct MigrationRoleChoice {
  std::string role;    // empty = the connected user (no SET ROLE)
  std::string source;  // "--role", "DB_MIGRATION_ROLE", "TENANT_ID", "current user"
  // true for an explicit role (--role / DB_MIGRATION_ROLE): a missing role is an error.
  // false for the derived owner role: used only if it exists and we are a member.
  bool required = false;
};

// Pure: the candidate before looking at the database. Empty flag/env values count as unset.
MigrationRoleChoice ChooseMigrationRole(const std::optional<std::string>& flag,
                                        const std::optional<std::string>& env,
                                        std::string_view tenant_id);

// Checks the candidate against the database: a derived owner role that does not exist, or
// of which the connected user is not a member, falls back to the current user (with
// `note` saying why); a required role that is not usable throws std::runtime_error.
MigrationRoleChoice ResolveMigrationRole(pg::Connection& conn, MigrationRoleChoice choice, std::string* note);

}  // namespace tenant::api::app
