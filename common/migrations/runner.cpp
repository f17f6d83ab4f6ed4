#include "common/migrations/runner.hpp"

#include <algorithm>
#include <chrono>

#include "common/log/log.hpp"
#include "common/migrations/plan.hpp"
#include "common/pg/quote.hpp"
#include "common/pg/transaction.hpp"

namespace tenant::migrations {
namespace {

std::string DirectionName(Direction d) { return d == Direction::kUp ? "up" : "down"; }

std::string TableName(const RunnerOptions& o) {
  return pg::QuoteIdentifier(o.table_schema) + "." + pg::QuoteIdentifier("schema_migrations");
}

bool TableExists(pg::Connection& conn, const RunnerOptions& o) {
  const auto r = conn.Exec("SELECT to_regclass($1) IS NOT NULL AS present", {TableName(o)});
  return r.Bool(0, "present");
}

std::vector<AppliedRow> ReadApplied(pg::Connection& conn, const RunnerOptions& o) {
  if (!TableExists(conn, o)) return {};
  // to_json gives ISO 8601 regardless of the session's DateStyle.
  const auto r = conn.Exec("SELECT version, name, checksum, to_json(applied_at) #>> '{}' AS applied_at, "
                           "duration_ms FROM " + TableName(o) + " ORDER BY version");
  std::vector<AppliedRow> rows;
  rows.reserve(static_cast<std::size_t>(r.rows()));
  for (int i = 0; i < r.rows(); ++i) {
    rows.push_back(AppliedRow{static_cast<int>(r.Int64(i, "version")),
                              std::string(r.Value(i, "name")),
                              std::string(r.Value(i, "checksum")),
                              std::string(r.Value(i, "applied_at")),
                              r.Int64(i, "duration_ms")});
  }
  return rows;
}

// SET ROLE for the run, RESET ROLE after (also when a migration throws).
class RoleGuard {
 public:
  RoleGuard(pg::Connection& conn, const std::string& role) : conn_(conn), active_(!role.empty()) {
    if (active_) conn_.Exec("SET ROLE " + pg::QuoteIdentifier(role));
  }
  RoleGuard(const RoleGuard&) = delete;
  RoleGuard& operator=(const RoleGuard&) = delete;
  ~RoleGuard() {
    if (!active_) return;
    try {
      if (conn_.IsOpen()) conn_.Exec("RESET ROLE");
    } catch (...) {  // a broken session has no role left to reset
    }
  }

 private:
  pg::Connection& conn_;
  bool active_;
};

// Session-level pg_advisory_lock held for the whole run; released on scope exit (and by
// the server if the session dies, so a crashed runner never leaves the lock behind).
class AdvisoryLock {
 public:
  AdvisoryLock(pg::Connection& conn, std::chrono::milliseconds timeout) : conn_(conn) {
    if (timeout.count() > 0) {
      const auto old = conn_.Exec("SELECT current_setting('lock_timeout') AS v");
      const std::string previous(old.Value(0, "v"));
      conn_.Exec("SELECT set_config('lock_timeout', $1, false)",
                 {std::to_string(timeout.count()) + "ms"});
      try {
        conn_.Exec("SELECT pg_advisory_lock($1)", {kAdvisoryLockKey});
      } catch (const pg::LockNotAvailable&) {
        conn_.Exec("SELECT set_config('lock_timeout', $1, false)", {previous});
        throw LockTimeout("another migration run holds the migration lock (waited " +
                          std::to_string(timeout.count()) + " ms)");
      } catch (const pg::QueryCanceled&) {
        conn_.Exec("SELECT set_config('lock_timeout', $1, false)", {previous});
        throw;
      }
      conn_.Exec("SELECT set_config('lock_timeout', $1, false)", {previous});
    } else {
      conn_.Exec("SELECT pg_advisory_lock($1)", {kAdvisoryLockKey});
    }
  }
  AdvisoryLock(const AdvisoryLock&) = delete;
  AdvisoryLock& operator=(const AdvisoryLock&) = delete;
  ~AdvisoryLock() {
    try {
      if (conn_.IsOpen()) conn_.Exec("SELECT pg_advisory_unlock($1)", {kAdvisoryLockKey});
    } catch (...) {  // the server drops session locks with the session anyway
    }
  }

 private:
  pg::Connection& conn_;
};

void EnsureTable(pg::Connection& conn, const RunnerOptions& o) {
  conn.Exec("CREATE TABLE IF NOT EXISTS " + TableName(o) +
            " (version integer PRIMARY KEY,"
            " name text NOT NULL,"
            " checksum text NOT NULL,"
            " applied_at timestamptz NOT NULL DEFAULT now(),"
            " duration_ms bigint NOT NULL)");
}

Step RunStep(pg::Connection& conn, const RunnerOptions& o, const Migration& m, Direction dir) {
  const auto start = std::chrono::steady_clock::now();
  Step step{m.version, m.name, dir, 0};
  try {
    pg::Transaction tx(conn);
    conn.ExecScript(dir == Direction::kUp ? m.up_sql : m.down_sql);
    step.duration_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                           std::chrono::steady_clock::now() - start)
                           .count();
    if (dir == Direction::kUp) {
      tx.Exec("INSERT INTO " + TableName(o) +
                  " (version, name, checksum, duration_ms) VALUES ($1, $2, $3, $4)",
              {m.version, m.name, m.checksum, step.duration_ms});
    } else {
      tx.Exec("DELETE FROM " + TableName(o) + " WHERE version = $1", {m.version});
    }
    tx.Commit();
  } catch (const pg::ConnectionError&) {
    throw;  // transient: the caller reconnects and retries the run
  } catch (const pg::Error& e) {
    throw MigrationFailed(m.version, m.name, dir, e.what(), e.sqlstate());
  }
  return step;
}

}  // namespace

// ---- errors ---------------------------------------------------------------------------

ChecksumMismatch::ChecksumMismatch(int version, std::string name, std::string expected,
                                   std::string applied)
    : MigrationError("migration " + std::to_string(version) + " (" + name +
                     ") was changed after it was applied: recorded checksum " + applied +
                     ", embedded checksum " + expected + "; nothing was applied"),
      version_(version),
      expected_(std::move(expected)),
      applied_(std::move(applied)) {}

DowngradeNotAllowed::DowngradeNotAllowed(int current, int target)
    : MigrationError("schema is at version " + std::to_string(current) + "; going down to " +
                     std::to_string(target) + " needs an explicit downgrade permission"),
      current_(current),
      target_(target) {}

MigrationFailed::MigrationFailed(int version, std::string name, Direction direction,
                                 const std::string& message, std::string sqlstate)
    : MigrationError("migration " + std::to_string(version) + " (" + name + ") " +
                     DirectionName(direction) + " failed and was rolled back: " + message),
      version_(version),
      direction_(direction),
      sqlstate_(std::move(sqlstate)) {}

// ---- status ---------------------------------------------------------------------------

bool Status::has_mismatch() const {
  return std::any_of(migrations.begin(), migrations.end(),
                     [](const auto& m) { return m.state == State::kMismatched; });
}
bool Status::has_unknown() const {
  return std::any_of(migrations.begin(), migrations.end(),
                     [](const auto& m) { return m.state == State::kUnknown; });
}
int Status::pending_count() const {
  return static_cast<int>(std::count_if(migrations.begin(), migrations.end(),
                                        [](const auto& m) { return m.state == State::kPending; }));
}

std::string_view StateName(State state) {
  switch (state) {
    case State::kApplied: return "applied";
    case State::kPending: return "pending";
    case State::kMismatched: return "mismatched";
    case State::kUnknown: return "unknown";
  }
  return "unknown";
}

// ---- runner ---------------------------------------------------------------------------

Runner::Runner(pg::Connection& conn, MigrationSet set, RunnerOptions options)
    : conn_(conn), set_(std::move(set)), options_(std::move(options)) {}

Status Runner::GetStatus() {
  RoleGuard role(conn_, options_.role);
  return ComputeStatus(set_, ReadApplied(conn_, options_));
}

RunReport Runner::MigrateTo(int target) { return Run(target, options_.allow_downgrade); }

RunReport Runner::Run(int target, bool allow_downgrade) {
  AdvisoryLock lock(conn_, options_.lock_timeout);
  RoleGuard role(conn_, options_.role);
  EnsureTable(conn_, options_);
  // Read under the lock: a concurrent runner may have just finished.
  const Status status = ComputeStatus(set_, ReadApplied(conn_, options_));
  const auto plan = PlanSteps(status, target, allow_downgrade);
  RunReport report;
  report.from_version = status.current_version;
  report.to_version = status.current_version;
  for (const auto& planned : plan) {
    const Migration* m = set_.Find(planned.version);
    log::Info(planned.direction == Direction::kUp ? "Applying migration" : "Reverting migration",
              {{"version", m->version}, {"name", m->name}, {"database", conn_.Database()}});
    report.steps.push_back(RunStep(conn_, options_, *m, planned.direction));
    report.to_version = planned.direction == Direction::kUp ? m->version : m->version - 1;
    log::Info(planned.direction == Direction::kUp ? "Applied migration" : "Reverted migration",
              {{"version", m->version},
               {"name", m->name},
               {"database", conn_.Database()},
               {"duration_ms", report.steps.back().duration_ms}});
  }
  return report;
}

RunReport Runner::Up(std::optional<int> target) {
  // Up never goes down, whatever allow_downgrade says.
  return Run(target.value_or(set_.latest()), false);
}

RunReport Runner::Down(int target) {
  const Status s = GetStatus();
  if (target > s.current_version) {
    throw UnknownVersion("down target " + std::to_string(target) +
                         " is above the current version " + std::to_string(s.current_version));
  }
  return Run(target, options_.allow_downgrade);
}

}  // namespace tenant::migrations
