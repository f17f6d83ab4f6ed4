#pragma once
// The SQL side of the Tenant controller behind one small interface: the real
// implementation (PgExecutor) talks to a DatabaseServer through pooled admin connections;
// unit tests substitute a fake that records statements.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/migrations/runner.hpp"
#include "operator/database/statements.hpp"

namespace tenant::database {

// Text rows of a query (NULL = nullopt), detached from libpq so fakes can build them.
struct Rows {
  std::vector<std::string> columns;
  std::vector<std::vector<std::optional<std::string>>> rows;

  bool empty() const { return rows.empty(); }
  std::size_t size() const { return rows.size(); }
  // Value of `column` in `row`; nullopt for NULL or an unknown column.
  std::optional<std::string> Get(std::size_t row, std::string_view column) const;
  bool Bool(std::size_t row, std::string_view column) const;  // "t"/"true" -> true
  long long Int(std::size_t row, std::string_view column, long long fallback = 0) const;
};

struct MigrationOutcome {
  int from_version = 0;
  int to_version = 0;
  int steps = 0;
};

class SqlExecutor {
 public:
  virtual ~SqlExecutor() = default;
  // `database` "" = the admin's maintenance database; otherwise a tenant database.
  virtual Rows Query(std::string_view database, const Statement& st) = 0;
  virtual void Execute(std::string_view database, const Statement& st) = 0;
  // Several parameterless utility statements; PgExecutor sends them as one script (one
  // round trip, one implicit transaction: all or nothing). The default runs them one by one.
  virtual void ExecuteAll(std::string_view database, const std::vector<Statement>& statements) {
    for (const auto& st : statements) Execute(database, st);
  }
  // SCRAM-SHA-256 verifier of `password` for `role`, computed client-side.
  virtual std::string ScramVerifier(std::string_view role, std::string_view password) = 0;
  // Migration status of a tenant database (read only).
  virtual migrations::Status SchemaStatus(std::string_view database) = 0;
  // Migrates to `target` as `owner_role` under the advisory lock. Throws
  // migrations::ChecksumMismatch / DowngradeNotAllowed / MigrationFailed / ...
  virtual MigrationOutcome Migrate(std::string_view database, std::string_view owner_role, int target,
                                   bool allow_downgrade) = 0;
};

}  // namespace tenant::database
