// Which role `tenant-api migrate` runs as: --role, DB_MIGRATION_ROLE, the tenant's owner
// role from TENANT_ID, else the current user (the database checks are in
// integration/runtime/server_cli_test.cpp).
#include <catch2/catch.hpp>

#include "runtime/app/migration_role.hpp"

using namespace tenant::api::app;

TEST_CASE("the owner role is named like the operator names it", "[migrate]") {
  CHECK(OwnerRoleForTenant("acme") == "erp_tenant_acme_owner");
  CHECK(OwnerRoleForTenant("a1_b2") == "erp_tenant_a1_b2_owner");
  CHECK(OwnerRoleForTenant(std::string(40, 'a')) == "erp_tenant_" + std::string(40, 'a') + "_owner");
  CHECK_FALSE(OwnerRoleForTenant("").has_value());
  CHECK_FALSE(OwnerRoleForTenant("Acme").has_value());
  CHECK_FALSE(OwnerRoleForTenant("1acme").has_value());
  CHECK_FALSE(OwnerRoleForTenant("ac-me").has_value());
  CHECK_FALSE(OwnerRoleForTenant("a\"; DROP ROLE x; --").has_value());
  CHECK_FALSE(OwnerRoleForTenant(std::string(41, 'a')).has_value());
}

TEST_CASE("--role wins over DB_MIGRATION_ROLE, which wins over TENANT_ID", "[migrate]") {
  auto flag = ChooseMigrationRole(std::string("from_flag"), std::string("from_env"), "acme");
  CHECK(flag.role == "from_flag");
  CHECK(flag.source == "--role");
  CHECK(flag.required);

  auto env = ChooseMigrationRole(std::nullopt, std::string("from_env"), "acme");
  CHECK(env.role == "from_env");
  CHECK(env.source == "DB_MIGRATION_ROLE");
  CHECK(env.required);

  auto derived = ChooseMigrationRole(std::nullopt, std::string(""), "acme");  // empty env = unset
  CHECK(derived.role == "erp_tenant_acme_owner");
  CHECK(derived.source == "TENANT_ID");
  CHECK_FALSE(derived.required);

  auto none = ChooseMigrationRole(std::nullopt, std::nullopt, "");
  CHECK(none.role.empty());
  CHECK(none.source == "current user");
  // a TENANT_ID that is no valid tenant id names no role
  CHECK(ChooseMigrationRole(std::nullopt, std::nullopt, "Not-Valid").role.empty());
}
