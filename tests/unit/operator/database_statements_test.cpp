// The pure SQL builders: exact text, quoted identifiers, bound values, and no plain
// password anywhere.
#include <catch2/catch.hpp>

#include "operator/database/random.hpp"
#include "operator/database/statements.hpp"
#include "operator/database/tenant_state.hpp"

using namespace tenant::database;

namespace {
const TenantNames kAcme = TenantNames::For("acme");

std::vector<std::string> Values(const Statement& st) {
  std::vector<std::string> out;
  for (const auto& p : st.params) out.push_back(p.is_null() ? "<null>" : p.value());
  return out;
}
}  // namespace

TEST_CASE("TenantNames", "[database]") {
  CHECK(kAcme.database == "erp_tenant_acme");
  CHECK(kAcme.owner_role == "erp_tenant_acme_owner");
  CHECK(kAcme.login_a == "erp_tenant_acme_a");
  CHECK(kAcme.login_b == "erp_tenant_acme_b");
}

TEST_CASE("Role statements quote identifiers and carry only verifiers", "[database]") {
  CHECK(CreateOwnerRole(kAcme).sql ==
        R"(CREATE ROLE "erp_tenant_acme_owner" NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION)");
  auto login = CreateLoginRole(kAcme, kAcme.login_a, "SCRAM-SHA-256$4096:c2FsdA==$x:y");
  CHECK(login.sql ==
        R"(CREATE ROLE "erp_tenant_acme_a" LOGIN INHERIT NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION IN ROLE "erp_tenant_acme_owner" PASSWORD 'SCRAM-SHA-256$4096:c2FsdA==$x:y')");
  CHECK(login.params.empty());
  CHECK(CreateLoginRole(kAcme, kAcme.login_b, "").sql.find("PASSWORD") == std::string::npos);
  CHECK(GrantOwnerTo(kAcme, kAcme.login_b).sql == R"(GRANT "erp_tenant_acme_owner" TO "erp_tenant_acme_b")");
  CHECK(SetPassword(kAcme.login_a, "SCRAM-SHA-256$v").sql == R"(ALTER ROLE "erp_tenant_acme_a" PASSWORD 'SCRAM-SHA-256$v')");
  CHECK(RemovePassword(kAcme.login_b).sql == R"(ALTER ROLE "erp_tenant_acme_b" PASSWORD NULL)");
  auto term = TerminateRoleSessions(kAcme.login_b);
  CHECK(term.sql ==
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = $1 AND pid <> pg_backend_pid()");
  CHECK(Values(term) == std::vector<std::string>{"erp_tenant_acme_b"});
}

TEST_CASE("Hostile identifiers stay identifiers", "[database]") {
  // tenantId is validated, but the builders must be safe on their own.
  TenantNames evil{"db\"; DROP DATABASE x; --", "o\"wner", "a", "b"};
  CHECK(CreateOwnerRole(evil).sql.rfind(R"(CREATE ROLE "o""wner" NOLOGIN)", 0) == 0);
  CHECK(CreateDatabase(evil, 5).sql.find(R"("db""; DROP DATABASE x; --")") != std::string::npos);
  CHECK(SetPassword("r", "it's").sql == R"(ALTER ROLE "r" PASSWORD 'it''s')");
}

TEST_CASE("Database statements", "[database]") {
  CHECK(CreateDatabase(kAcme, 50).sql ==
        R"(CREATE DATABASE "erp_tenant_acme" OWNER "erp_tenant_acme_owner" ENCODING 'UTF8' TEMPLATE template0 CONNECTION LIMIT 50)");
  CHECK(SetConnectionLimit(kAcme, 7).sql == R"(ALTER DATABASE "erp_tenant_acme" CONNECTION LIMIT 7)");
  CHECK(RevokeDatabaseFromPublic(kAcme).sql == R"(REVOKE ALL ON DATABASE "erp_tenant_acme" FROM PUBLIC)");
  CHECK(AlterPublicSchemaOwner(kAcme).sql == R"(ALTER SCHEMA public OWNER TO "erp_tenant_acme_owner")");
  CHECK(RevokePublicSchemaFromPublic().sql == "REVOKE ALL ON SCHEMA public FROM PUBLIC");
  const std::string comment = ManagedComment("erp", "acme", "uid-1");
  CHECK(comment == "tenant-operator: tenant=erp/acme uid=uid-1");
  CHECK(CommentOnDatabase(kAcme, comment).sql ==
        R"(COMMENT ON DATABASE "erp_tenant_acme" IS 'tenant-operator: tenant=erp/acme uid=uid-1')");
  CHECK(OrphanedComment("erp", "acme", "uid-1", "2026-11-29T04:00:00Z") ==
        "tenant-operator: orphaned tenant=erp/acme uid=uid-1 deleted=2026-11-29T04:00:00Z");
}

TEST_CASE("Reads bind their values", "[database]") {
  auto observe = ObserveTenantDb(kAcme);
  CHECK(Values(observe) == std::vector<std::string>{"erp_tenant_acme_owner", "erp_tenant_acme_a", "erp_tenant_acme_b",
                                                    "erp_tenant_acme"});
  CHECK(observe.sql.find("erp_tenant") == std::string::npos);
}

TEST_CASE("Deletion statements cover only what still exists, in a safe order", "[database]") {
  auto all = DropTenantStatements(kAcme, true, {kAcme.owner_role, kAcme.login_a, kAcme.login_b});
  std::vector<std::string> sql;
  for (const auto& s : all) sql.push_back(s.sql);
  CHECK(sql == std::vector<std::string>{
                   R"(REVOKE CONNECT ON DATABASE "erp_tenant_acme" FROM PUBLIC, "erp_tenant_acme_owner")",
                   "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()",
                   R"(DROP DATABASE IF EXISTS "erp_tenant_acme" WITH (FORCE))",
                   R"(REASSIGN OWNED BY "erp_tenant_acme_owner", "erp_tenant_acme_a", "erp_tenant_acme_b" TO CURRENT_USER)",
                   R"(DROP OWNED BY "erp_tenant_acme_owner", "erp_tenant_acme_a", "erp_tenant_acme_b")",
                   R"(DROP ROLE IF EXISTS "erp_tenant_acme_a")",
                   R"(DROP ROLE IF EXISTS "erp_tenant_acme_b")",
                   R"(DROP ROLE IF EXISTS "erp_tenant_acme_owner")",
               });
  CHECK(Values(all[1]) == std::vector<std::string>{"erp_tenant_acme"});
  // A retry after the database is gone and role _a was dropped.
  auto rest = DropTenantStatements(kAcme, false, {kAcme.owner_role, kAcme.login_b});
  REQUIRE(rest.size() == 4);
  CHECK(rest[0].sql == R"(REASSIGN OWNED BY "erp_tenant_acme_owner", "erp_tenant_acme_b" TO CURRENT_USER)");
  CHECK(rest[3].sql == R"(DROP ROLE IF EXISTS "erp_tenant_acme_owner")");
  CHECK(DropTenantStatements(kAcme, false, {}).empty());
}

TEST_CASE("First admin seeding uses tenant-api's statement (first-user form) with a prepared user", "[database]") {
  tenant::auth::PreparedUser user{"admin", "$2b$12$hash", "admin"};
  auto st = SeedFirstAdmin(user, true);
  CHECK(st.sql == tenant::auth::SeedFirstUserSql());
  CHECK(st.sql.find(R"(WHERE NOT EXISTS (SELECT 1 FROM "users"))") != std::string::npos);
  CHECK(Values(st) == std::vector<std::string>{"admin", "$2b$12$hash", "admin", "tenant-operator"});
  // A schema older than audit_log: the same user, no audit row.
  auto old_schema = SeedFirstAdmin(user, false);
  CHECK(old_schema.sql == tenant::auth::SeedFirstUserSql(false));
  CHECK(old_schema.sql.find(R"(WHERE NOT EXISTS (SELECT 1 FROM "users"))") != std::string::npos);
  CHECK(old_schema.sql.find("audit_log") == std::string::npos);
  CHECK(Values(old_schema) == std::vector<std::string>{"admin", "$2b$12$hash", "admin"});
}

TEST_CASE("Random tokens are long, URL-safe and distinct", "[database]") {
  auto a = GeneratePassword();
  auto b = GeneratePassword();
  CHECK(a.size() == 43);
  CHECK(a != b);
  CHECK(a.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") == std::string::npos);
  CHECK(RandomToken(1).size() == 2);
  CHECK(RandomToken(2).size() == 3);
  CHECK(GenerateJwtSigningKey().size() == 64);
}

TEST_CASE("PlanTenantDb: nothing to do for a correct tenant, exact repairs otherwise", "[database]") {
  TenantDbState ok;
  ok.admin_superuser = true;
  ok.owner = {true, false, false, true};
  ok.login_a = {true, true, true, true};
  ok.login_b = {true, true, true, true};
  ok.database_exists = true;
  ok.database_owner = kAcme.owner_role;
  ok.connection_limit = 50;
  ok.comment = "c";
  ok.owner_can_connect = true;
  const DesiredDb want{50, "c"};
  CHECK(PlanTenantDb(kAcme, ok, want).empty());

  auto drift = ok;
  drift.owner.can_login = true;
  drift.login_b.member_of_owner = false;
  drift.login_a.can_login = false;
  drift.connection_limit = 3;
  drift.public_has_privileges = true;
  drift.database_owner = "someone";
  auto plan = PlanTenantDb(kAcme, drift, want);
  std::vector<std::string> sql;
  for (const auto& st : plan.roles) sql.push_back(st.sql);
  CHECK(sql == std::vector<std::string>{R"(ALTER ROLE "erp_tenant_acme_owner" NOLOGIN)", R"(ALTER ROLE "erp_tenant_acme_a" LOGIN)",
                                        R"(GRANT "erp_tenant_acme_owner" TO "erp_tenant_acme_b")"});
  sql.clear();
  for (const auto& st : plan.database) sql.push_back(st.sql);
  CHECK(sql == std::vector<std::string>{R"(ALTER DATABASE "erp_tenant_acme" OWNER TO "erp_tenant_acme_owner")",
                                        R"(ALTER DATABASE "erp_tenant_acme" CONNECTION LIMIT 50)",
                                        R"(REVOKE ALL ON DATABASE "erp_tenant_acme" FROM PUBLIC)"});
  CHECK_FALSE(plan.create_database);
  CHECK(plan.repaired.size() == 6);
}

TEST_CASE("PlanTenantDb: a new tenant with a non-superuser admin", "[database]") {
  TenantDbState none;  // nothing exists; admin is not superuser
  auto plan = PlanTenantDb(kAcme, none, DesiredDb{50, "c"});
  std::vector<std::string> actions;
  for (const auto& st : plan.roles) actions.push_back(st.action);
  CHECK(actions == std::vector<std::string>{"CreateOwnerRole", "GrantRoleToAdmin", "CreateLoginRole", "GrantRoleToAdmin",
                                            "CreateLoginRole", "GrantRoleToAdmin"});
  CHECK(plan.roles[1].sql == R"(GRANT "erp_tenant_acme_owner" TO CURRENT_USER)");
  for (const auto& st : plan.roles) CHECK(st.params.empty());  // runnable as one script
  CHECK(plan.create_database);
  CHECK(plan.database.size() == 2);  // REVOKE from PUBLIC, COMMENT
  CHECK(plan.created_roles == std::vector<std::string>{kAcme.owner_role, kAcme.login_a, kAcme.login_b});
  none.admin_superuser = true;
  CHECK(PlanTenantDb(kAcme, none, DesiredDb{50, "c"}).roles.size() == 3);
}

TEST_CASE("ObserveTenantDb binds names and parses one row", "[database]") {
  auto st = ObserveTenantDb(kAcme);
  CHECK(Values(st) == std::vector<std::string>{"erp_tenant_acme_owner", "erp_tenant_acme_a", "erp_tenant_acme_b",
                                               "erp_tenant_acme"});
  CHECK(st.sql.find("erp_tenant") == std::string::npos);
  Rows rows;
  rows.columns = {"admin_superuser", "owner_login", "a_login", "b_login", "a_member", "b_member", "admin_owner",
                  "admin_a", "admin_b", "datname", "database_owner", "datconnlimit", "comment",
                  "public_has_privileges", "owner_can_connect"};
  rows.rows.push_back({"f", "f", "t", std::nullopt, "t", std::nullopt, "t", "f", std::nullopt, "erp_tenant_acme",
                       "erp_tenant_acme_owner", "7", std::nullopt, "t", "t"});
  auto s = ParseTenantDbState(rows);
  CHECK_FALSE(s.admin_superuser);
  CHECK(s.owner.exists);
  CHECK_FALSE(s.owner.can_login);
  CHECK(s.owner.admin_member);
  CHECK(s.login_a.exists);
  CHECK(s.login_a.member_of_owner);
  CHECK_FALSE(s.login_a.admin_member);
  CHECK_FALSE(s.login_b.exists);
  CHECK(s.database_exists);
  CHECK(s.connection_limit == 7);
  CHECK(s.comment.empty());
  CHECK(s.public_has_privileges);
}
