#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "common/migrations/migration_set.hpp"
#include "common/pg/connection.hpp"

namespace tenant::migrations {

// Key of the session-level pg_advisory_lock held for a whole Up/Down run, in every tenant
// database: ASCII "tnntmigr" as a big-endian int64. Fixed so that tenant-api and the
// operator (same code) serialize against each other.
inline constexpr std::int64_t kAdvisoryLockKey = 0x746E6E746D696772;

struct RunnerOptions {
  // SET ROLE to this role for the run (e.g. "erp_tenant_acme_owner") so the objects and the
  // schema_migrations table belong to it; quoted as an identifier. Empty = current role.
  std::string role;
  // Schema holding schema_migrations.
  std::string table_schema = "public";
  // Down migrations run only when true; otherwise a lower target throws DowngradeNotAllowed.
  bool allow_downgrade = false;
  // Give up waiting for the advisory lock after this long (LockTimeout). 0 = wait forever.
  std::chrono::milliseconds lock_timeout{0};
};

enum class State { kApplied, kPending, kMismatched, kUnknown /* applied, not in this set */ };

struct MigrationStatus {
  int version = 0;
  std::string name;
  State state = State::kPending;
  std::string expected_checksum;  // from the set (empty for kUnknown)
  std::string applied_checksum;   // from schema_migrations (empty when pending)
  std::string applied_at;         // server timestamptz text (empty when pending)
  std::int64_t duration_ms = 0;
};

struct Status {
  int current_version = 0;   // highest applied version (0 = none)
  int latest_version = 0;    // newest in the set
  std::vector<MigrationStatus> migrations;  // ascending version; set ∪ applied
  bool has_mismatch() const;
  bool has_unknown() const;
  int pending_count() const;
};

struct Step {
  int version = 0;
  std::string name;
  Direction direction = Direction::kUp;
  std::int64_t duration_ms = 0;
};

struct RunReport {
  int from_version = 0;
  int to_version = 0;
  std::vector<Step> steps;  // in execution order; empty when already at target
};

// ---- typed errors (all derive from MigrationError) ----
class MigrationError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};
// An applied migration's recorded checksum differs from the embedded one. Nothing was applied.
class ChecksumMismatch : public MigrationError {
 public:
  ChecksumMismatch(int version, std::string name, std::string expected, std::string applied);
  int version() const noexcept { return version_; }
  const std::string& expected() const noexcept { return expected_; }
  const std::string& applied() const noexcept { return applied_; }

 private:
  int version_;
  std::string expected_;
  std::string applied_;
};
// Target below the current version without allow_downgrade. Nothing was applied.
class DowngradeNotAllowed : public MigrationError {
 public:
  DowngradeNotAllowed(int current, int target);
  int current() const noexcept { return current_; }
  int target() const noexcept { return target_; }

 private:
  int current_;
  int target_;
};
// Target outside 0..latest, or the database holds versions this set does not know
// (database newer than the binary), or applied versions are not exactly 1..current.
class UnknownVersion : public MigrationError {
 public:
  using MigrationError::MigrationError;
};
// The advisory lock was not obtained within lock_timeout.
class LockTimeout : public MigrationError {
 public:
  using MigrationError::MigrationError;
};
// A migration's SQL failed; its transaction was rolled back (earlier steps stay applied).
// what() names version and name plus the server message; sqlstate() is the server's code.
class MigrationFailed : public MigrationError {
 public:
  MigrationFailed(int version, std::string name, Direction direction, const std::string& message,
                  std::string sqlstate);
  int version() const noexcept { return version_; }
  Direction direction() const noexcept { return direction_; }
  const std::string& sqlstate() const noexcept { return sqlstate_; }

 private:
  int version_;
  Direction direction_;
  std::string sqlstate_;
};

// Applies a MigrationSet to the database behind `conn`.
//  - Up/Down/MigrateTo take pg_advisory_lock(kAdvisoryLockKey) for the whole run, create
//    schema_migrations(version, name, checksum, applied_at, duration_ms) if missing, verify
//    every applied checksum BEFORE changing anything, then run each migration in its own
//    transaction together with its schema_migrations row.
//  - Status only reads (no lock, no table creation).
// Migration SQL must not contain transaction control (BEGIN/COMMIT) or statements that
// cannot run inside a transaction (CREATE INDEX CONCURRENTLY).
// pg::Error (e.g. ConnectionError) propagates for failures outside migration SQL.
class Runner {
 public:
  Runner(pg::Connection& conn, MigrationSet set, RunnerOptions options = {});

  Status GetStatus();
  // Up to `target` (default: latest). A target below the current version throws
  // DowngradeNotAllowed (use MigrateTo/Down for that).
  RunReport Up(std::optional<int> target = std::nullopt);
  // Down to `target` (>= 0); requires allow_downgrade.
  RunReport Down(int target);
  // Up or down to exactly `target`.
  RunReport MigrateTo(int target);

 private:
  RunReport Run(int target, bool allow_downgrade);

  pg::Connection& conn_;
  MigrationSet set_;  // a copy (a few kB of SQL): temporaries passed in cannot dangle
  RunnerOptions options_;
};

std::string_view StateName(State state);  // "applied", "pending", "mismatched", "unknown"

}  // namespace tenant::migrations
