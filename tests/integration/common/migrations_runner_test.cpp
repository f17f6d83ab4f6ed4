#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include "common/migrations/migration_set.hpp"
#include "common/migrations/runner.hpp"
#include "common/pg/quote.hpp"
#include "tests/integration/common/pg_test_db.hpp"

namespace mig = tenant::migrations;
namespace pg = tenant::pg;
using tenant::test::ScratchDatabase;
using tenant::test::UniqueName;

namespace {

// An in-memory set (the real ERP schema lives in runtime/migrations; these tests must not
// depend on it).
std::vector<mig::SourceFile> Files() {
  return {
      {"0001_customers.up.sql",
       "CREATE TABLE customers (id bigint PRIMARY KEY, name text NOT NULL);\n"
       "INSERT INTO customers VALUES (1, 'seed');",
       ""},
      {"0001_customers.down.sql", "DROP TABLE customers;", ""},
      {"0002_products.up.sql",
       "CREATE TABLE products (id bigint PRIMARY KEY, sku text UNIQUE NOT NULL);\n"
       "CREATE INDEX products_sku_idx ON products (sku);",
       ""},
      {"0002_products.down.sql", "DROP TABLE products;", ""},
      {"0003_orders.up.sql",
       "CREATE TABLE orders (id bigint PRIMARY KEY, customer_id bigint REFERENCES customers(id));",
       ""},
      {"0003_orders.down.sql", "DROP TABLE orders;", ""},
  };
}

mig::MigrationSet Set() { return mig::MigrationSet::FromFiles(Files()); }

bool TableExists(pg::Connection& conn, const std::string& table) {
  return conn.Exec("SELECT to_regclass($1) IS NOT NULL", {"public." + table}).Bool(0, 0);
}

std::vector<int> AppliedVersions(pg::Connection& conn) {
  std::vector<int> out;
  const auto r = conn.Exec("SELECT version FROM public.schema_migrations ORDER BY version");
  for (int i = 0; i < r.rows(); ++i) out.push_back(static_cast<int>(r.Int64(i, 0)));
  return out;
}

}  // namespace

TEST_CASE("status on a fresh database reads without creating anything", "[migrations][integration]") {
  ScratchDatabase db;
  auto conn = db.Connect();
  const auto set = Set();
  mig::Runner runner(conn, set);
  const auto status = runner.GetStatus();
  CHECK(status.current_version == 0);
  CHECK(status.latest_version == 3);
  CHECK(status.pending_count() == 3);
  CHECK_FALSE(TableExists(conn, "schema_migrations"));
}

TEST_CASE("up applies in order, records rows, and is idempotent", "[migrations][integration]") {
  ScratchDatabase db;
  auto conn = db.Connect();
  const auto set = Set();
  mig::Runner runner(conn, set);

  const auto first = runner.Up(2);
  CHECK(first.from_version == 0);
  CHECK(first.to_version == 2);
  REQUIRE(first.steps.size() == 2);
  CHECK(first.steps[0].version == 1);
  CHECK(first.steps[1].name == "products");
  CHECK(TableExists(conn, "products"));
  CHECK_FALSE(TableExists(conn, "orders"));

  const auto row = conn.Exec(
      "SELECT name, checksum, applied_at IS NOT NULL AS has_time, duration_ms >= 0 AS has_dur "
      "FROM public.schema_migrations WHERE version = 1");
  CHECK(row.Value(0, "name") == "customers");
  CHECK(row.Value(0, "checksum") == set.Find(1)->checksum);
  CHECK(row.Bool(0, "has_time"));
  CHECK(row.Bool(0, "has_dur"));

  const auto rest = runner.Up();
  CHECK(rest.from_version == 2);
  CHECK(rest.to_version == 3);
  CHECK(rest.steps.size() == 1);
  CHECK(runner.Up().steps.empty());
  CHECK(AppliedVersions(conn) == std::vector<int>{1, 2, 3});

  const auto status = runner.GetStatus();
  CHECK(status.current_version == 3);
  CHECK(status.pending_count() == 0);
  for (const auto& m : status.migrations) {
    CHECK(m.state == mig::State::kApplied);
    CHECK_FALSE(m.applied_at.empty());
  }
}

TEST_CASE("down needs permission, then reverts to the target", "[migrations][integration]") {
  ScratchDatabase db;
  auto conn = db.Connect();
  const auto set = Set();
  mig::Runner(conn, set).Up();

  mig::Runner strict(conn, set);
  CHECK_THROWS_AS(strict.Down(1), mig::DowngradeNotAllowed);
  CHECK_THROWS_AS(strict.MigrateTo(0), mig::DowngradeNotAllowed);
  CHECK_THROWS_AS(strict.Up(1), mig::DowngradeNotAllowed);
  CHECK(AppliedVersions(conn) == std::vector<int>{1, 2, 3});  // nothing happened

  mig::RunnerOptions allow;
  allow.allow_downgrade = true;
  mig::Runner permissive(conn, set, allow);
  CHECK_THROWS_AS(permissive.Up(1), mig::DowngradeNotAllowed);  // Up never goes down
  const auto report = permissive.Down(1);
  CHECK(report.from_version == 3);
  CHECK(report.to_version == 1);
  REQUIRE(report.steps.size() == 2);
  CHECK(report.steps[0].version == 3);
  CHECK(report.steps[0].direction == mig::Direction::kDown);
  CHECK_FALSE(TableExists(conn, "orders"));
  CHECK_FALSE(TableExists(conn, "products"));
  CHECK(TableExists(conn, "customers"));
  CHECK(AppliedVersions(conn) == std::vector<int>{1});
  CHECK_THROWS_AS(permissive.Down(2), mig::UnknownVersion);  // above current

  permissive.MigrateTo(0);
  CHECK_FALSE(TableExists(conn, "customers"));
  CHECK(AppliedVersions(conn).empty());
  permissive.MigrateTo(3);
  CHECK(AppliedVersions(conn) == std::vector<int>{1, 2, 3});
}

TEST_CASE("an edited applied migration stops every run before anything is applied",
          "[migrations][integration]") {
  ScratchDatabase db;
  auto conn = db.Connect();
  mig::Runner(conn, Set()).Up(1);

  auto files = Files();
  files[0].contents += "\n-- edited after release";
  const auto edited = mig::MigrationSet::FromFiles(files);
  mig::RunnerOptions allow;
  allow.allow_downgrade = true;
  mig::Runner runner(conn, edited, allow);
  try {
    runner.Up();
    FAIL("ran despite a checksum mismatch");
  } catch (const mig::ChecksumMismatch& e) {
    CHECK(e.version() == 1);
    CHECK(e.expected() == edited.Find(1)->checksum);
    CHECK(e.applied() == Set().Find(1)->checksum);
  }
  CHECK_THROWS_AS(runner.MigrateTo(0), mig::ChecksumMismatch);
  CHECK(AppliedVersions(conn) == std::vector<int>{1});
  CHECK_FALSE(TableExists(conn, "products"));

  const auto status = runner.GetStatus();
  CHECK(status.has_mismatch());
  CHECK(status.migrations[0].state == mig::State::kMismatched);
  CHECK(status.migrations[1].state == mig::State::kPending);
}

TEST_CASE("a database ahead of the binary is reported, not touched", "[migrations][integration]") {
  ScratchDatabase db;
  auto conn = db.Connect();
  mig::Runner(conn, Set()).Up();
  auto files = Files();
  files.resize(4);  // the binary knows only 1..2
  const auto older = mig::MigrationSet::FromFiles(files);
  mig::Runner runner(conn, older);
  CHECK(runner.GetStatus().has_unknown());
  CHECK_THROWS_AS(runner.Up(), mig::UnknownVersion);
  CHECK(AppliedVersions(conn) == std::vector<int>{1, 2, 3});
}

TEST_CASE("a failing migration rolls back alone; earlier ones stay", "[migrations][integration]") {
  ScratchDatabase db;
  auto conn = db.Connect();
  auto files = Files();
  files[4].contents =
      "CREATE TABLE orders (id bigint PRIMARY KEY);\n"
      "INSERT INTO orders VALUES (1), (1);";  // duplicate key in the middle of the script
  const auto set = mig::MigrationSet::FromFiles(files);
  mig::Runner runner(conn, set);
  try {
    runner.Up();
    FAIL("a broken migration succeeded");
  } catch (const mig::MigrationFailed& e) {
    CHECK(e.version() == 3);
    CHECK(e.sqlstate() == "23505");
    CHECK_THAT(e.what(), Catch::Contains("rolled back"));
  }
  CHECK_FALSE(TableExists(conn, "orders"));  // its CREATE TABLE was rolled back too
  CHECK(AppliedVersions(conn) == std::vector<int>{1, 2});
  CHECK(conn.TransactionStatus() == PQTRANS_IDLE);
  // The lock was released: a new run can start (and fails the same way).
  mig::RunnerOptions opts;
  opts.lock_timeout = std::chrono::milliseconds(500);
  CHECK_THROWS_AS(mig::Runner(conn, set, opts).Up(), mig::MigrationFailed);
}

TEST_CASE("runs as the owner role given by SET ROLE", "[migrations][integration]") {
  ScratchDatabase db;
  auto admin = db.Connect();
  // A NOLOGIN owner as the operator creates it, with a name that needs quoting.
  const std::string owner = UniqueName("Owner \"Role\"");
  admin.Exec("CREATE ROLE " + pg::QuoteIdentifier(owner) + " NOLOGIN");
  admin.Exec("ALTER DATABASE " + pg::QuoteIdentifier(db.name()) + " OWNER TO " +
             pg::QuoteIdentifier(owner));
  admin.Exec("ALTER SCHEMA public OWNER TO " + pg::QuoteIdentifier(owner));
  {
    mig::RunnerOptions opts;
    opts.role = owner;
    mig::Runner runner(admin, Set(), opts);
    runner.Up();
    const auto owners = admin.Exec(
        "SELECT c.relname, pg_get_userbyid(c.relowner) AS owner FROM pg_class c "
        "WHERE c.relname IN ('customers','products','orders','schema_migrations') ORDER BY 1");
    REQUIRE(owners.rows() == 4);
    for (int i = 0; i < owners.rows(); ++i) {
      INFO(owners.Value(i, 0));
      CHECK(owners.Value(i, "owner") == owner);
    }
    // The session's role is restored afterwards.
    CHECK(admin.Exec("SELECT current_user = session_user").Bool(0, 0));
  }
  // A role without privileges cannot apply anything, and the failure is typed.
  const std::string weak = UniqueName("weak");
  admin.Exec("CREATE ROLE " + pg::QuoteIdentifier(weak) + " NOLOGIN");
  mig::RunnerOptions weak_opts;
  weak_opts.role = weak;
  weak_opts.table_schema = "weak_schema";
  admin.Exec("CREATE SCHEMA weak_schema");
  CHECK_THROWS_AS(mig::Runner(admin, Set(), weak_opts).Up(), pg::InsufficientPrivilege);
  CHECK(admin.Exec("SELECT current_user = session_user").Bool(0, 0));
  admin.Exec("DROP SCHEMA weak_schema");
  admin.Exec("DROP ROLE " + pg::QuoteIdentifier(weak));
  admin.Exec("DROP OWNED BY " + pg::QuoteIdentifier(owner) + " CASCADE");
  admin.Exec("REASSIGN OWNED BY " + pg::QuoteIdentifier(owner) + " TO CURRENT_USER");
  admin.Exec("ALTER DATABASE " + pg::QuoteIdentifier(db.name()) + " OWNER TO CURRENT_USER");
  admin.Exec("DROP ROLE " + pg::QuoteIdentifier(owner));
}

TEST_CASE("concurrent runners are serialized by the advisory lock", "[migrations][integration]") {
  ScratchDatabase db;
  // A slow first migration widens the window in which runners overlap.
  auto files = Files();
  files[1].contents = "SELECT pg_sleep(0.5);\n" + files[1].contents;
  files[0].contents = "SELECT pg_sleep(0.3);\n" + files[0].contents;
  const auto set = mig::MigrationSet::FromFiles(files);
  constexpr int kRunners = 4;
  std::vector<std::future<mig::RunReport>> runs;
  for (int i = 0; i < kRunners; ++i) {
    runs.push_back(std::async(std::launch::async, [&db, &set] {
      auto conn = db.Connect();
      return mig::Runner(conn, set).Up();
    }));
  }
  int total_steps = 0;
  int runners_that_worked = 0;
  for (auto& f : runs) {
    const auto report = f.get();  // no runner failed (no duplicate key, no "already exists")
    total_steps += static_cast<int>(report.steps.size());
    if (!report.steps.empty()) ++runners_that_worked;
  }
  CHECK(total_steps == 3);          // each migration applied exactly once
  CHECK(runners_that_worked == 1);  // the lock is held for the whole run
  auto conn = db.Connect();
  CHECK(AppliedVersions(conn) == std::vector<int>{1, 2, 3});
}

TEST_CASE("a held lock makes a runner with lock_timeout give up with LockTimeout",
          "[migrations][integration]") {
  ScratchDatabase db;
  auto holder = db.Connect();
  holder.Exec("SELECT pg_advisory_lock($1)", {mig::kAdvisoryLockKey});
  auto conn = db.Connect();
  mig::RunnerOptions opts;
  opts.lock_timeout = std::chrono::milliseconds(200);
  CHECK_THROWS_AS(mig::Runner(conn, Set(), opts).Up(), mig::LockTimeout);
  CHECK_FALSE(TableExists(conn, "customers"));
  // lock_timeout was restored on the session.
  CHECK(conn.Exec("SHOW lock_timeout").Value(0, 0) == "0");
  holder.Exec("SELECT pg_advisory_unlock($1)", {mig::kAdvisoryLockKey});
  CHECK(mig::Runner(conn, Set(), opts).Up().steps.size() == 3);
  // The runner released its own lock: another session can take it at once.
  CHECK(holder.Exec("SELECT pg_try_advisory_lock($1)", {mig::kAdvisoryLockKey}).Bool(0, 0));
}

TEST_CASE("the embedded ERP migrations apply and revert cleanly", "[migrations][integration]") {
  const auto& set = mig::Embedded();
  if (set.empty()) {
    SUCCEED("runtime/migrations is empty: nothing embedded yet");
    return;
  }
  ScratchDatabase db;
  auto conn = db.Connect();
  mig::RunnerOptions allow;
  allow.allow_downgrade = true;
  mig::Runner runner(conn, set, allow);
  CHECK(runner.Up().to_version == set.latest());
  CHECK(runner.MigrateTo(0).to_version == 0);
  // Down scripts removed everything but schema_migrations.
  const auto left = conn.Exec(
      "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
      "WHERE n.nspname = 'public' AND c.relkind IN ('r','v','m','S') "
      "AND c.relname <> 'schema_migrations'");
  CHECK(left.Int64(0, 0) == 0);
  CHECK(runner.Up().to_version == set.latest());  // and up again
}
