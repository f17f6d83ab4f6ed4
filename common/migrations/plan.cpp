#include "common/migrations/plan.hpp"

#include <algorithm>
#include <map>

namespace tenant::migrations {

Status ComputeStatus(const MigrationSet& set, const std::vector<AppliedRow>& applied) {
  Status status;
  status.latest_version = set.latest();
  std::map<int, const AppliedRow*> rows;
  for (const auto& row : applied) {
    rows[row.version] = &row;
    status.current_version = std::max(status.current_version, row.version);
  }
  std::map<int, MigrationStatus> merged;
  for (const auto& m : set.migrations()) {
    MigrationStatus s;
    s.version = m.version;
    s.name = m.name;
    s.expected_checksum = m.checksum;
    s.state = State::kPending;
    merged[m.version] = std::move(s);
  }
  for (const auto& [version, row] : rows) {
    auto it = merged.find(version);
    if (it == merged.end()) {
      MigrationStatus s;
      s.version = version;
      s.name = row->name;
      s.state = State::kUnknown;
      it = merged.emplace(version, std::move(s)).first;
    } else {
      it->second.state =
          row->checksum == it->second.expected_checksum ? State::kApplied : State::kMismatched;
    }
    it->second.applied_checksum = row->checksum;
    it->second.applied_at = row->applied_at;
    it->second.duration_ms = row->duration_ms;
  }
  for (auto& [version, s] : merged) status.migrations.push_back(std::move(s));
  return status;
}

std::vector<Step> PlanSteps(const Status& status, int target, bool allow_downgrade) {
  // Refuse before touching anything: an edited migration means the database may not hold
  // what this binary believes, so no direction is safe.
  for (const auto& m : status.migrations) {
    if (m.state == State::kMismatched) {
      throw ChecksumMismatch(m.version, m.name, m.expected_checksum, m.applied_checksum);
    }
  }
  for (const auto& m : status.migrations) {
    if (m.state == State::kUnknown) {
      throw UnknownVersion("database has migration " + std::to_string(m.version) + " (" +
                           m.name + ") which this binary does not know (latest known is " +
                           std::to_string(status.latest_version) +
                           "); it was applied by a newer version");
    }
  }
  for (const auto& m : status.migrations) {
    if (m.version <= status.current_version && m.state != State::kApplied) {
      throw UnknownVersion("applied migrations are not contiguous: version " +
                           std::to_string(m.version) + " (" + m.name +
                           ") is missing below applied version " +
                           std::to_string(status.current_version));
    }
  }
  if (target < 0 || target > status.latest_version) {
    throw UnknownVersion("target version " + std::to_string(target) + " is outside 0.." +
                         std::to_string(status.latest_version));
  }
  std::vector<Step> steps;
  if (target >= status.current_version) {
    for (const auto& m : status.migrations) {
      if (m.version > status.current_version && m.version <= target) {
        steps.push_back(Step{m.version, m.name, Direction::kUp, 0});
      }
    }
    return steps;
  }
  if (!allow_downgrade) throw DowngradeNotAllowed(status.current_version, target);
  for (auto it = status.migrations.rbegin(); it != status.migrations.rend(); ++it) {
    if (it->version <= status.current_version && it->version > target) {
      steps.push_back(Step{it->version, it->name, Direction::kDown, 0});
    }
  }
  return steps;
}

}  // namespace tenant::migrations
