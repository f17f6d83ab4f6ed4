#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "common/migrations/migration_set.hpp"
#include "common/migrations/plan.hpp"
#include "common/migrations/runner.hpp"
#include "tests/support/child_process.hpp"
#include "tests/support/temp_dir.hpp"

namespace mig = tenant::migrations;
namespace fs = std::filesystem;

namespace {

std::vector<mig::SourceFile> ThreeFiles() {
  return {
      {"0002_orders.up.sql", "CREATE TABLE orders(id int);", ""},
      {"0001_users.up.sql", "CREATE TABLE users(id int);", ""},
      {"0001_users.down.sql", "DROP TABLE users;", ""},
      {"0002_orders.down.sql", "DROP TABLE orders;", ""},
      {"0003_index.up.sql", "CREATE INDEX ON users(id);", ""},
      {"0003_index.down.sql", "DROP INDEX users_id_idx;", ""},
  };
}

std::string ErrorOf(const std::vector<mig::SourceFile>& files) {
  try {
    (void)mig::MigrationSet::FromFiles(files);
  } catch (const mig::InvalidMigrationSet& e) {
    return e.what();
  }
  return "";
}

mig::AppliedRow Row(const mig::MigrationSet& set, int version) {
  const auto* m = set.Find(version);
  return {version, m->name, m->checksum, "2026-01-01T00:00:00+00:00", 3};
}

std::vector<int> Versions(const std::vector<mig::Step>& steps) {
  std::vector<int> v;
  for (const auto& s : steps) v.push_back(s.version);
  return v;
}

}  // namespace

TEST_CASE("file names parse", "[migrations]") {
  auto up = mig::ParseFileName("0001_create_users.up.sql");
  REQUIRE(up);
  CHECK(up->version == 1);
  CHECK(up->name == "create_users");
  CHECK(up->direction == mig::Direction::kUp);
  auto down = mig::ParseFileName("0042_x2.down.sql");
  REQUIRE(down);
  CHECK(down->version == 42);
  CHECK(down->direction == mig::Direction::kDown);
  CHECK(mig::ParseFileName("12345_long.up.sql")->version == 12345);
  for (const char* bad : {"001_short.up.sql", "0001-dash.up.sql", "0001_.up.sql",
                          "0001_Upper.up.sql", "0001_x.sql", "0001_x.up.sql.bak", "0000_zero.up.sql",
                          "abcd_x.up.sql", "0001_sp ace.up.sql", "README.md"}) {
    INFO(bad);
    CHECK_FALSE(mig::ParseFileName(bad).has_value());
  }
}

TEST_CASE("a valid set is ordered with SHA-256 checksums of the up files", "[migrations]") {
  const auto set = mig::MigrationSet::FromFiles(ThreeFiles());
  REQUIRE(set.latest() == 3);
  REQUIRE(set.migrations().size() == 3);
  CHECK(set.migrations()[0].name == "users");
  CHECK(set.migrations()[1].up_sql == "CREATE TABLE orders(id int);");
  CHECK(set.migrations()[2].down_sql == "DROP INDEX users_id_idx;");
  CHECK(set.Find(2)->checksum == mig::Sha256Hex("CREATE TABLE orders(id int);"));
  CHECK(set.Find(0) == nullptr);
  CHECK(set.Find(4) == nullptr);
  CHECK(mig::MigrationSet().latest() == 0);
  CHECK(mig::MigrationSet::FromFiles({}).empty());
}

TEST_CASE("Sha256Hex matches known vectors", "[migrations]") {
  CHECK(mig::Sha256Hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(mig::Sha256Hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST_CASE("set validation reports every problem", "[migrations]") {
  auto files = ThreeFiles();
  SECTION("gap in versions") {
    files.push_back({"0005_late.up.sql", "SELECT 1;", ""});
    files.push_back({"0005_late.down.sql", "SELECT 1;", ""});
    CHECK_THAT(ErrorOf(files), Catch::Contains("expected 4, found 5"));
  }
  SECTION("up without down") {
    files.push_back({"0004_lonely.up.sql", "SELECT 1;", ""});
    CHECK_THAT(ErrorOf(files), Catch::Contains("version 4 (lonely) has no .down.sql file"));
  }
  SECTION("down without up") {
    files.push_back({"0004_lonely.down.sql", "SELECT 1;", ""});
    CHECK_THAT(ErrorOf(files), Catch::Contains("has no .up.sql file"));
  }
  SECTION("names differ between up and down") {
    files.push_back({"0004_a.up.sql", "SELECT 1;", ""});
    files.push_back({"0004_b.down.sql", "SELECT 1;", ""});
    CHECK_THAT(ErrorOf(files), Catch::Contains("two names"));
  }
  SECTION("not starting at 1") {
    const std::vector<mig::SourceFile> f = {{"0002_x.up.sql", "SELECT 1;", ""},
                                            {"0002_x.down.sql", "SELECT 1;", ""}};
    CHECK_THAT(ErrorOf(f), Catch::Contains("expected 1, found 2"));
  }
  SECTION("bad file name, empty file, wrong embedded checksum — all listed") {
    files.push_back({"4_bad.up.sql", "SELECT 1;", ""});
    files[0].contents = "  \n";
    files[1].sha256 = std::string(64, '0');
    const auto msg = ErrorOf(files);
    CHECK_THAT(msg, Catch::Contains("\"4_bad.up.sql\" is not named"));
    CHECK_THAT(msg, Catch::Contains("\"0002_orders.up.sql\" is empty"));
    CHECK_THAT(msg, Catch::Contains("\"0001_users.up.sql\" does not match its embedded SHA-256"));
  }
  SECTION("duplicate file") {
    files.push_back(files[1]);
    CHECK_THAT(ErrorOf(files), Catch::Contains("duplicate file"));
  }
}

TEST_CASE("status merges the set with applied rows", "[migrations][plan]") {
  const auto set = mig::MigrationSet::FromFiles(ThreeFiles());
  SECTION("fresh database: all pending") {
    const auto s = mig::ComputeStatus(set, {});
    CHECK(s.current_version == 0);
    CHECK(s.latest_version == 3);
    CHECK(s.pending_count() == 3);
    CHECK_FALSE(s.has_mismatch());
  }
  SECTION("partly applied, one edited, one unknown") {
    auto edited = Row(set, 2);
    edited.checksum = "deadbeef";
    const auto s = mig::ComputeStatus(set, {Row(set, 1), edited, {7, "future", "abc", "t", 1}});
    REQUIRE(s.migrations.size() == 4);
    CHECK(s.migrations[0].state == mig::State::kApplied);
    CHECK(s.migrations[0].applied_at == "2026-01-01T00:00:00+00:00");
    CHECK(s.migrations[1].state == mig::State::kMismatched);
    CHECK(s.migrations[1].applied_checksum == "deadbeef");
    CHECK(s.migrations[2].state == mig::State::kPending);
    CHECK(s.migrations[3].state == mig::State::kUnknown);
    CHECK(s.migrations[3].name == "future");
    CHECK(s.current_version == 7);
    CHECK(s.has_mismatch());
    CHECK(s.has_unknown());
    CHECK(mig::StateName(s.migrations[1].state) == "mismatched");
  }
}

TEST_CASE("planning up, down and refusals", "[migrations][plan]") {
  const auto set = mig::MigrationSet::FromFiles(ThreeFiles());
  const auto at1 = mig::ComputeStatus(set, {Row(set, 1)});
  const auto at3 = mig::ComputeStatus(set, {Row(set, 1), Row(set, 2), Row(set, 3)});

  CHECK(Versions(mig::PlanSteps(at1, 3, false)) == std::vector<int>{2, 3});
  CHECK(Versions(mig::PlanSteps(at1, 2, false)) == std::vector<int>{2});
  CHECK(mig::PlanSteps(at1, 1, false).empty());
  CHECK(mig::PlanSteps(at3, 3, false).empty());

  const auto down = mig::PlanSteps(at3, 1, true);
  CHECK(Versions(down) == std::vector<int>{3, 2});
  CHECK(down[0].direction == mig::Direction::kDown);
  CHECK(Versions(mig::PlanSteps(at3, 0, true)) == std::vector<int>{3, 2, 1});

  try {
    (void)mig::PlanSteps(at3, 1, false);
    FAIL("expected DowngradeNotAllowed");
  } catch (const mig::DowngradeNotAllowed& e) {
    CHECK(e.current() == 3);
    CHECK(e.target() == 1);
  }
  CHECK_THROWS_AS(mig::PlanSteps(at1, 4, false), mig::UnknownVersion);
  CHECK_THROWS_AS(mig::PlanSteps(at1, -1, true), mig::UnknownVersion);

  auto edited = Row(set, 1);
  edited.checksum = "0000";
  try {
    (void)mig::PlanSteps(mig::ComputeStatus(set, {edited}), 3, true);
    FAIL("expected ChecksumMismatch");
  } catch (const mig::ChecksumMismatch& e) {
    CHECK(e.version() == 1);
    CHECK(e.applied() == "0000");
    CHECK(e.expected() == set.Find(1)->checksum);
    CHECK_THAT(e.what(), Catch::Contains("nothing was applied"));
  }
  // The database is ahead of this binary.
  CHECK_THROWS_AS(mig::PlanSteps(mig::ComputeStatus(set, {Row(set, 1), Row(set, 2), Row(set, 3),
                                                          {4, "newer", "x", "t", 1}}),
                                 3, false),
                  mig::UnknownVersion);
  // A hole below the current version.
  CHECK_THROWS_AS(mig::PlanSteps(mig::ComputeStatus(set, {Row(set, 1), Row(set, 3)}), 3, false),
                  mig::UnknownVersion);
}

TEST_CASE("the embedded set equals runtime/migrations on disk", "[migrations][embed]") {
  const fs::path dir = fs::path(TENANT_SOURCE_DIR) / "runtime" / "migrations";
  std::map<std::string, std::string> on_disk;
  if (fs::is_directory(dir)) {
    for (const auto& entry : fs::directory_iterator(dir)) {
      if (entry.path().extension() != ".sql") continue;
      std::ifstream in(entry.path(), std::ios::binary);
      std::stringstream ss;
      ss << in.rdbuf();
      on_disk[entry.path().filename().string()] = ss.str();
    }
  }
  const auto& set = mig::Embedded();  // throws if the embedded files are inconsistent
  CHECK(set.migrations().size() * 2 == on_disk.size());
  for (const auto& m : set.migrations()) {
    char prefix[16];
    std::snprintf(prefix, sizeof prefix, "%04d_", m.version);
    const std::string base = prefix + m.name;
    INFO(base);
    REQUIRE(on_disk.count(base + ".up.sql") == 1);
    REQUIRE(on_disk.count(base + ".down.sql") == 1);
    CHECK(m.up_sql == on_disk[base + ".up.sql"]);
    CHECK(m.down_sql == on_disk[base + ".down.sql"]);
    CHECK(m.checksum == mig::Sha256Hex(on_disk[base + ".up.sql"]));
  }
}

namespace {

std::string RunEmbedScript(const fs::path& dir, const fs::path& out) {
  return tenant::test::RunCommand({"cmake", "-DMIGRATIONS_DIR=" + dir.string(),
                                   "-DOUTPUT=" + out.string(), "-P",
                                   std::string(TENANT_SOURCE_DIR) + "/cmake/EmbedMigrations.cmake"});
}

void Write(const fs::path& p, const std::string& text) {
  std::ofstream(p, std::ios::binary) << text;
}

}  // namespace

TEST_CASE("the build-time embedding script escapes bytes and validates", "[migrations][embed]") {
  tenant::test::TempDir tmp("embed");
  const fs::path dir = tmp.path() / "migrations";
  fs::create_directories(dir);
  const fs::path out = tmp.path() / "gen.cpp";
  const std::string up = "CREATE TABLE \"t\" (v text DEFAULT 'a\\b');\r\n-- ü )\" R\"x(\n";
  Write(dir / "0001_first.up.sql", up);
  Write(dir / "0001_first.down.sql", "DROP TABLE \"t\";\n");
  Write(dir / "notes.txt", "ignored: not .sql");

  RunEmbedScript(dir, out);
  std::ifstream in(out);
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string gen = ss.str();
  CHECK_THAT(gen, Catch::Contains("\"0001_first.up.sql\""));
  CHECK_THAT(gen, Catch::Contains(mig::Sha256Hex(up)));  // CMake's SHA-256 == OpenSSL's
  CHECK_THAT(gen, Catch::Contains(", " + std::to_string(up.size()) + ")"));
  CHECK_THAT(gen, Catch::Contains("\\x43\\x52\\x45"));  // "CRE", byte-escaped
  CHECK_THAT(gen, !Catch::Contains("notes.txt"));

  SECTION("an up file without its down fails the build with a clear message") {
    Write(dir / "0002_second.up.sql", "SELECT 1;");
    try {
      RunEmbedScript(dir, out);
      FAIL("script accepted an incomplete set");
    } catch (const std::runtime_error& e) {
      CHECK_THAT(e.what(), Catch::Contains("version 2 (second) has no .down.sql file"));
    }
  }
  SECTION("a gap fails") {
    Write(dir / "0003_third.up.sql", "SELECT 1;");
    Write(dir / "0003_third.down.sql", "SELECT 1;");
    CHECK_THROWS_WITH(RunEmbedScript(dir, out), Catch::Contains("expected 2, found 3"));
  }
  SECTION("a misnamed .sql file fails") {
    Write(dir / "2_bad.up.sql", "SELECT 1;");
    CHECK_THROWS_WITH(RunEmbedScript(dir, out), Catch::Contains("\"2_bad.up.sql\" is not named"));
  }
}

TEST_CASE("the advisory lock key is the documented constant", "[migrations]") {
  // Changing it would let an old and a new binary migrate the same database at once.
  STATIC_REQUIRE(mig::kAdvisoryLockKey == 8389764602168698738LL);
}
