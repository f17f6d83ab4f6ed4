#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <libpq-fe.h>

namespace tenant::pg {

struct ResultDeleter {
  void operator()(PGresult* r) const noexcept { PQclear(r); }
};

// Owns a PGresult (only successful results reach callers; failures become pg::Error).
// Values are text (the text result format). Accessors throw std::out_of_range for a
// bad row/column index or unknown column name, and std::logic_error when reading NULL
// through a non-optional accessor.
class Result {
 public:
  Result() = default;
  explicit Result(PGresult* raw) : res_(raw) {}  // takes ownership

  int rows() const noexcept;
  int columns() const noexcept;
  bool empty() const noexcept { return rows() == 0; }

  std::string_view ColumnName(int column) const;
  int ColumnIndex(std::string_view name) const;

  bool IsNull(int row, int column) const;
  bool IsNull(int row, std::string_view column) const { return IsNull(row, ColumnIndex(column)); }

  // Text of a non-NULL value; the view lives as long as this Result.
  std::string_view Value(int row, int column) const;
  std::string_view Value(int row, std::string_view column) const { return Value(row, ColumnIndex(column)); }

  // std::nullopt for NULL.
  std::optional<std::string> Optional(int row, int column) const;
  std::optional<std::string> Optional(int row, std::string_view column) const {
    return Optional(row, ColumnIndex(column));
  }

  // Typed parsing of non-NULL values; std::invalid_argument when the text does not parse.
  std::int64_t Int64(int row, int column) const;
  std::int64_t Int64(int row, std::string_view column) const { return Int64(row, ColumnIndex(column)); }
  bool Bool(int row, int column) const;  // PostgreSQL text "t"/"f"
  bool Bool(int row, std::string_view column) const { return Bool(row, ColumnIndex(column)); }

  // Rows affected by INSERT/UPDATE/DELETE/MERGE/SELECT/MOVE/FETCH/COPY; 0 for other commands.
  std::int64_t AffectedRows() const;
  // Command tag, e.g. "INSERT 0 1".
  std::string_view CommandTag() const;

  PGresult* native() const noexcept { return res_.get(); }

 private:
  void CheckIndex(int row, int column) const;
  std::unique_ptr<PGresult, ResultDeleter> res_;
};

}  // namespace tenant::pg
