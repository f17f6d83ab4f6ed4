#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/migrations/migration_set.hpp"
#include "common/migrations/runner.hpp"

namespace tenant::migrations {

// One row of schema_migrations.
struct AppliedRow {
  int version = 0;
  std::string name;
  std::string checksum;
  std::string applied_at;
  std::int64_t duration_ms = 0;
};

// Pure: merges the set with the applied rows (rows in any order).
Status ComputeStatus(const MigrationSet& set, const std::vector<AppliedRow>& applied);

// Pure: the steps that take the database from `status` to `target`, in execution order,
// or a typed error (ChecksumMismatch, UnknownVersion, DowngradeNotAllowed) when the run
// must not start. Steps carry no durations.
std::vector<Step> PlanSteps(const Status& status, int target, bool allow_downgrade);

}  // namespace tenant::migrations
