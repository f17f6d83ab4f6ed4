#include "operator/database/executor.hpp"

namespace tenant::database {

std::optional<std::string> Rows::Get(std::size_t row, std::string_view column) const {
  if (row >= rows.size()) return std::nullopt;
  for (std::size_t c = 0; c < columns.size(); ++c) {
    if (columns[c] == column) return c < rows[row].size() ? rows[row][c] : std::nullopt;
  }
  return std::nullopt;
}

bool Rows::Bool(std::size_t row, std::string_view column) const {
  auto v = Get(row, column);
  return v && (*v == "t" || *v == "true");
}

long long Rows::Int(std::size_t row, std::string_view column, long long fallback) const {
  auto v = Get(row, column);
  if (!v) return fallback;
  try {
    return std::stoll(*v);
  } catch (...) {
    return fallback;
  }
}

}  // namespace tenant::database
