#pragma once

#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace tenant::migrations {

// One versioned schema change, from runtime/migrations/NNNN_name.up.sql + .down.sql.
struct Migration {
  int version = 0;        // 1, 2, 3, ... (contiguous)
  std::string name;       // "create_users"
  std::string up_sql;
  std::string down_sql;
  std::string checksum;   // lowercase hex SHA-256 of up_sql (what schema_migrations records)
};

// One source file before validation (the build embeds these; tests build them in memory).
struct SourceFile {
  std::string file_name;  // "0001_create_users.up.sql" (no directory)
  std::string contents;
  std::string sha256;     // lowercase hex of contents; empty = compute here
};

enum class Direction { kUp, kDown };

struct ParsedName {
  int version = 0;
  std::string name;
  Direction direction = Direction::kUp;
};

// Parses "NNNN_name.up.sql" / "NNNN_name.down.sql": 4+ digits (version >= 1), '_', then
// [a-z0-9_]+. std::nullopt for anything else. Pure.
std::optional<ParsedName> ParseFileName(std::string_view file_name);

class InvalidMigrationSet : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A validated, ordered set: versions 1..N without gaps or duplicates, each with an up and
// a down file of the same name, non-empty SQL, checksums matching the contents.
class MigrationSet {
 public:
  MigrationSet() = default;  // empty set (latest() == 0)

  // Validates and orders; throws InvalidMigrationSet listing every problem found.
  static MigrationSet FromFiles(const std::vector<SourceFile>& files);

  const std::vector<Migration>& migrations() const noexcept { return migrations_; }
  int latest() const noexcept { return migrations_.empty() ? 0 : migrations_.back().version; }
  bool empty() const noexcept { return migrations_.empty(); }
  // nullptr when absent.
  const Migration* Find(int version) const noexcept;

 private:
  std::vector<Migration> migrations_;
};

// The set embedded at build time from runtime/migrations/ (validated once, on first use;
// throws InvalidMigrationSet if the embedded files are inconsistent).
const MigrationSet& Embedded();

// Lowercase hex SHA-256 (OpenSSL).
std::string Sha256Hex(std::string_view data);

}  // namespace tenant::migrations
