#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace tenant::api {

// Money is an integer count of the currency's minor unit (cents for EUR, yen for JPY,
// fils for KWD) plus the ISO 4217 alphabetic code. No floating point anywhere: amounts are
// multiplied and summed with overflow checks.
struct Money {
  std::int64_t minor = 0;
  std::string currency;  // "EUR"
};

// True for an active ISO 4217 alphabetic code known to this build.
bool IsIsoCurrency(std::string_view code);
// Digits after the decimal point (2 for EUR, 0 for JPY, 3 for KWD); nullopt if unknown.
std::optional<int> MinorUnitDigits(std::string_view code);

// Overflow-checked arithmetic; nullopt on overflow.
std::optional<std::int64_t> CheckedMul(std::int64_t a, std::int64_t b);
std::optional<std::int64_t> CheckedAdd(std::int64_t a, std::int64_t b);

// Decimal text of an amount for humans and logs, e.g. (1999, "EUR") -> "19.99",
// (-5, "KWD") -> "-0.005". Not used for storage or arithmetic.
std::string FormatMinor(std::int64_t minor, std::string_view currency);

}  // namespace tenant::api
