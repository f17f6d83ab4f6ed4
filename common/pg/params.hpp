#pragma once

#include <concepts>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tenant::pg {

// One bound text parameter ($1, $2, ...). NULL is std::nullopt. Values are always sent
// as bound parameters, never spliced into SQL text.
//   conn.Exec("INSERT INTO t(a, b, c) VALUES ($1, $2, $3)", {"x", 42, std::nullopt});
class Param {
 public:
  Param(std::nullopt_t) {}  // NOLINT(google-explicit-constructor): NULL
  Param(std::string value) : value_(std::move(value)) {}               // NOLINT
  Param(std::string_view value) : value_(std::string(value)) {}        // NOLINT
  Param(const char* value) : value_(std::string(value)) {}             // NOLINT
  Param(bool value) : value_(value ? "true" : "false") {}              // NOLINT
  template <std::integral T>
    requires(!std::same_as<T, bool> && !std::same_as<T, char>)
  Param(T value) : value_(std::to_string(value)) {}                    // NOLINT
  Param(std::optional<std::string> value) : value_(std::move(value)) {}  // NOLINT

  bool is_null() const noexcept { return !value_.has_value(); }
  // Precondition: !is_null().
  const std::string& value() const { return *value_; }

 private:
  std::optional<std::string> value_;
};

using Params = std::vector<Param>;

}  // namespace tenant::pg
