#include "common/pg/result.hpp"

#include <charconv>
#include <stdexcept>
#include <string>

namespace tenant::pg {

int Result::rows() const noexcept { return res_ ? PQntuples(res_.get()) : 0; }
int Result::columns() const noexcept { return res_ ? PQnfields(res_.get()) : 0; }

std::string_view Result::ColumnName(int column) const {
  if (column < 0 || column >= columns()) {
    throw std::out_of_range("column index " + std::to_string(column) + " out of range");
  }
  return PQfname(res_.get(), column);
}

int Result::ColumnIndex(std::string_view name) const {
  // Linear, exact (case-sensitive) match: PQfnumber would case-fold unquoted names.
  for (int c = 0, n = columns(); c < n; ++c) {
    if (name == PQfname(res_.get(), c)) return c;
  }
  throw std::out_of_range("no column named \"" + std::string(name) + "\" in result");
}

void Result::CheckIndex(int row, int column) const {
  if (row < 0 || row >= rows()) {
    throw std::out_of_range("row index " + std::to_string(row) + " out of range (" +
                            std::to_string(rows()) + " rows)");
  }
  if (column < 0 || column >= columns()) {
    throw std::out_of_range("column index " + std::to_string(column) + " out of range");
  }
}

bool Result::IsNull(int row, int column) const {
  CheckIndex(row, column);
  return PQgetisnull(res_.get(), row, column) != 0;
}

std::string_view Result::Value(int row, int column) const {
  if (IsNull(row, column)) {
    throw std::logic_error("column \"" + std::string(ColumnName(column)) + "\" is NULL");
  }
  return {PQgetvalue(res_.get(), row, column),
          static_cast<std::size_t>(PQgetlength(res_.get(), row, column))};
}

std::optional<std::string> Result::Optional(int row, int column) const {
  if (IsNull(row, column)) return std::nullopt;
  return std::string(Value(row, column));
}

std::int64_t Result::Int64(int row, int column) const {
  const std::string_view text = Value(row, column);
  std::int64_t v = 0;
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || ptr != text.data() + text.size()) {
    throw std::invalid_argument("column \"" + std::string(ColumnName(column)) +
                                "\" is not an integer");
  }
  return v;
}

bool Result::Bool(int row, int column) const {
  const std::string_view text = Value(row, column);
  if (text == "t") return true;
  if (text == "f") return false;
  throw std::invalid_argument("column \"" + std::string(ColumnName(column)) +
                              "\" is not a boolean");
}

std::int64_t Result::AffectedRows() const {
  if (!res_) return 0;
  const std::string_view text = PQcmdTuples(res_.get());
  if (text.empty()) return 0;
  std::int64_t v = 0;
  std::from_chars(text.data(), text.data() + text.size(), v);
  return v;
}

std::string_view Result::CommandTag() const { return res_ ? PQcmdStatus(res_.get()) : ""; }

}  // namespace tenant::pg
