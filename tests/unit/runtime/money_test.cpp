#include <catch2/catch.hpp>

#include <climits>

#include "runtime/handlers/money.hpp"

using namespace tenant::api;

TEST_CASE("money: ISO 4217 codes and minor units", "[money]") {
  CHECK(IsIsoCurrency("EUR"));
  CHECK(IsIsoCurrency("USD"));
  CHECK_FALSE(IsIsoCurrency("eur"));
  CHECK_FALSE(IsIsoCurrency("EURO"));
  CHECK_FALSE(IsIsoCurrency("XXX"));
  CHECK_FALSE(IsIsoCurrency(""));
  CHECK(MinorUnitDigits("EUR") == 2);
  CHECK(MinorUnitDigits("JPY") == 0);
  CHECK(MinorUnitDigits("KWD") == 3);
  CHECK_FALSE(MinorUnitDigits("ABC"));
}

TEST_CASE("money: overflow-checked integer arithmetic", "[money]") {
  CHECK(CheckedMul(1999, 3) == 5997);
  CHECK_FALSE(CheckedMul(INT64_MAX / 2 + 1, 2));
  CHECK_FALSE(CheckedMul(INT64_MIN, -1));
  CHECK(CheckedAdd(1, 2) == 3);
  CHECK_FALSE(CheckedAdd(INT64_MAX, 1));
  // the classic floating point trap: 0.1 + 0.2 in cents is exact
  CHECK(CheckedAdd(10, 20) == 30);
}

TEST_CASE("money: decimal formatting by the currency's exponent", "[money]") {
  CHECK(FormatMinor(1999, "EUR") == "19.99");
  CHECK(FormatMinor(5, "EUR") == "0.05");
  CHECK(FormatMinor(0, "EUR") == "0.00");
  CHECK(FormatMinor(-5, "KWD") == "-0.005");
  CHECK(FormatMinor(1999, "JPY") == "1999");
  CHECK(FormatMinor(INT64_MIN, "EUR") == "-92233720368547758.08");
}
