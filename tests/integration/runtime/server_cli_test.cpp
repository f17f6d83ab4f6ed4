// tenant-api subcommands against a real PostgreSQL: migrate up/status/down, check-config,
// create-user, --help; exit codes 0 / 1 / 2.
#include <catch2/catch.hpp>

#include <fstream>

#include "common/pg/connection.hpp"
#include "common/pg/quote.hpp"
#include "tests/integration/runtime/server_test_client.hpp"
#include "tests/support/child_process.hpp"
#include "tests/support/postgres_server.hpp"
#include "tests/support/temp_dir.hpp"

using namespace tenant;
namespace th = tenant::test::http;

namespace {

struct Run {
  int code = -1;
  std::string output;
};

// Runs `sh -c <script>` with extra environment; the tenant-api binary is $API.
Run RunApi(const std::string& script, std::vector<std::string> env) {
  test::TempDir dir("api-cli");
  test::ChildOptions opts;
  opts.argv = {"sh", "-c", script};
  env.push_back("API=" + std::string(TENANT_BINARY_DIR) + "/runtime/tenant-api");
  env.push_back("LOG_LEVEL=warn");
  opts.extra_env = std::move(env);
  opts.log_file = dir.path() / "out.log";
  test::ChildProcess child(opts);
  th::Eventually([&] { return !child.Running(); }, std::chrono::seconds(60), std::chrono::milliseconds(20));
  Run r;
  r.code = child.ExitCode().value_or(-1);
  std::ifstream in(opts.log_file);
  r.output.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  return r;
}

}  // namespace

TEST_CASE("every subcommand has --help", "[integration][server][cli]") {
  for (const char* cmd : {"--help", "serve --help", "migrate --help", "check-config --help", "create-user --help"}) {
    INFO(cmd);
    auto r = RunApi(std::string("\"$API\" ") + cmd, {});
    CHECK(r.code == 0);
    CHECK(r.output.find("Usage: tenant-api") != std::string::npos);
  }
  CHECK(RunApi("\"$API\" frobnicate", {}).code == 2);
  CHECK(RunApi("\"$API\" migrate sideways", {}).code == 2);
  CHECK(RunApi("\"$API\" migrate down", {}).code == 2);  // down needs an explicit version
}

TEST_CASE("migrate up, status, down and create-user on a real database", "[integration][server][cli]") {
  auto& pg = test::PostgresServer::Shared();
  const std::string db = "erp_cli_test";
  {
    auto admin = pg::Connection::Connect(pg.ConnInfo("postgres"));
    admin.Exec("DROP DATABASE IF EXISTS " + pg::QuoteIdentifier(db) + " WITH (FORCE)");
    admin.Exec("CREATE DATABASE " + pg::QuoteIdentifier(db));
  }
  std::vector<std::string> env = {"DATABASE_URL=" + pg.ConnInfo(db), "JWT_SIGNING_KEY=" + std::string(32, 'k'),
                                  "TENANT_ID=acme"};
  auto check = RunApi("\"$API\" check-config", env);
  CHECK(check.code == 0);
  CHECK(check.output.find("configuration OK") != std::string::npos);
  CHECK(check.output.find(pg.superuser_password()) == std::string::npos);

  auto up = RunApi("\"$API\" migrate up", env);
  INFO(up.output);
  REQUIRE(up.code == 0);
  CHECK(up.output.find("schema version 0 -> ") != std::string::npos);
  auto status = RunApi("\"$API\" migrate status", env);
  CHECK(status.code == 0);
  CHECK(status.output.find("applied") != std::string::npos);
  CHECK(status.output.find("pending") == std::string::npos);

  auto created = RunApi("echo 'a-long-enough-password-1' | \"$API\" create-user --username carol --role manager", env);
  INFO(created.output);
  CHECK(created.code == 0);
  auto again = RunApi("echo 'a-long-enough-password-1' | \"$API\" create-user --username carol --role manager", env);
  CHECK(again.code == 1);
  CHECK(again.output.find("a-long-enough-password-1") == std::string::npos);

  auto down = RunApi("\"$API\" migrate down 0", env);
  INFO(down.output);
  CHECK(down.code == 0);
  CHECK(down.output.find("-> 0") != std::string::npos);
  auto after = RunApi("\"$API\" migrate status", env);
  CHECK(after.output.find("current 0") != std::string::npos);
}

TEST_CASE("migrate runs as the tenant's owner role like the operator", "[integration][server][cli][migrate]") {
  auto& pg = test::PostgresServer::Shared();
  const std::string db = "erp_tenant_clirole";
  const std::string owner = "erp_tenant_clirole_owner";
  const std::string login = "erp_tenant_clirole_a";
  const std::string other_owner = "erp_tenant_cliother_owner";
  const std::string password = "login-password-clirole-1";
  {
    // The operator's layout: a NOLOGIN owner role owning the database, a login role that is
    // a member of it (operator/database/statements.cpp).
    auto admin = pg::Connection::Connect(pg.ConnInfo("postgres"));
    admin.Exec("DROP DATABASE IF EXISTS " + pg::QuoteIdentifier(db) + " WITH (FORCE)");
    for (const auto& r : {login, owner, other_owner}) admin.Exec("DROP ROLE IF EXISTS " + pg::QuoteIdentifier(r));
    admin.Exec("CREATE ROLE " + pg::QuoteIdentifier(owner) + " NOLOGIN");
    admin.Exec("CREATE ROLE " + pg::QuoteIdentifier(other_owner) + " NOLOGIN");
    admin.Exec("CREATE ROLE " + pg::QuoteIdentifier(login) + " LOGIN PASSWORD " + pg::QuoteLiteral(password));
    admin.Exec("GRANT " + pg::QuoteIdentifier(owner) + " TO " + pg::QuoteIdentifier(login));
    admin.Exec("CREATE DATABASE " + pg::QuoteIdentifier(db) + " OWNER " + pg::QuoteIdentifier(owner));
  }
  const std::string login_url = "host=" + pg.host() + " port=" + std::to_string(pg.port()) + " dbname=" + db +
                                " user=" + login + " password=" + password +
                                " sslmode=verify-full sslrootcert=" + pg.ca_file();
  const std::string key = "JWT_SIGNING_KEY=" + std::string(32, 'k');
  auto owner_of = [&](const std::string& table) {
    auto c = pg::Connection::Connect(pg.ConnInfo(db));
    auto r = c.Exec("SELECT \"tableowner\" FROM \"pg_tables\" WHERE \"schemaname\" = 'public' AND \"tablename\" = $1", {table});
    return r.empty() ? std::string("<none>") : std::string(r.Value(0, 0));
  };

  SECTION("default: the owner role derived from TENANT_ID") {
    std::vector<std::string> env = {"DATABASE_URL=" + login_url, key, "TENANT_ID=clirole"};
    auto up = RunApi("\"$API\" migrate up", env);
    INFO(up.output);
    REQUIRE(up.code == 0);
    CHECK(up.output.find("role " + owner + " (TENANT_ID)") != std::string::npos);
    CHECK(owner_of("schema_migrations") == owner);
    CHECK(owner_of("products") == owner);
    CHECK(up.output.find(password) == std::string::npos);
    auto down = RunApi("\"$API\" migrate down 0", env);
    INFO(down.output);
    CHECK(down.code == 0);
    CHECK(owner_of("products") == "<none>");
  }
  SECTION("an owner role the user is not a member of: the current user, with a note") {
    std::vector<std::string> env = {"DATABASE_URL=" + login_url, key, "TENANT_ID=cliother"};
    auto status = RunApi("\"$API\" migrate status", env);
    INFO(status.output);
    CHECK(status.code == 0);
    CHECK(status.output.find("not a member of role " + other_owner) != std::string::npos);
    CHECK(status.output.find("role (current user) (current user)") != std::string::npos);
  }
  SECTION("no such owner role: the current user") {
    std::vector<std::string> env = {"DATABASE_URL=" + pg.ConnInfo(db), key, "TENANT_ID=ghost"};
    auto up = RunApi("\"$API\" migrate up 1", env);
    INFO(up.output);
    REQUIRE(up.code == 0);
    CHECK(up.output.find("role erp_tenant_ghost_owner does not exist") != std::string::npos);
    CHECK(owner_of("schema_migrations") == pg.superuser());
    CHECK(RunApi("\"$API\" migrate down 0", env).code == 0);
  }
  SECTION("--role and DB_MIGRATION_ROLE are explicit: a missing role fails, --role wins") {
    std::vector<std::string> env = {"DATABASE_URL=" + pg.ConnInfo(db), key, "DB_MIGRATION_ROLE=" + owner};
    auto missing = RunApi("\"$API\" migrate up --role no_such_role", env);
    INFO(missing.output);
    CHECK(missing.code == 1);
    CHECK(missing.output.find("cannot migrate as --role role: role no_such_role does not exist") != std::string::npos);
    CHECK(RunApi("\"$API\" migrate up --role", env).code == 2);
    auto by_env = RunApi("\"$API\" migrate status", env);
    CHECK(by_env.output.find("role " + owner + " (DB_MIGRATION_ROLE)") != std::string::npos);
    auto up = RunApi("\"$API\" migrate up --role=" + owner, env);
    INFO(up.output);
    CHECK(up.code == 0);
    CHECK(up.output.find("role " + owner + " (--role)") != std::string::npos);
    CHECK(owner_of("orders") == owner);
    CHECK(RunApi("\"$API\" migrate down 0", env).code == 0);
  }
}
