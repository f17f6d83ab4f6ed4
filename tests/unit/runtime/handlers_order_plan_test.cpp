#include <catch2/catch.hpp>

#include "runtime/handlers/order_plan.hpp"
#include "runtime/handlers/support.hpp"
#include "runtime/handlers/versioned.hpp"

using namespace tenant::api;
using namespace tenant::api::handlers;

namespace {

std::map<std::int64_t, LockedProduct> Catalog() {
  return {{1, {1, "A-1", 1999, "EUR", 10, true}},
          {2, {2, "B-2", 500, "EUR", 3, true}},
          {3, {3, "C-3", 100, "USD", 100, true}},
          {4, {4, "D-4", 100, "EUR", 100, false}}};
}

}  // namespace

TEST_CASE("order plan: totals, line prices and summed decrements", "[handlers][orders]") {
  auto plan = PlanOrder({{1, 2}, {2, 3}, {1, 1}}, Catalog());
  CHECK(plan.currency == "EUR");
  CHECK(plan.total_minor == 3 * 1999 + 3 * 500);
  REQUIRE(plan.lines.size() == 3);
  CHECK(plan.lines[0].line_no == 1);
  CHECK(plan.lines[0].line_total_minor == 2 * 1999);
  CHECK(plan.lines[2].quantity == 1);
  CHECK(plan.decrements.at(1) == 3);
  CHECK(plan.decrements.at(2) == 3);
}

TEST_CASE("order plan: insufficient stock names every short product", "[handlers][orders]") {
  try {
    PlanOrder({{1, 6}, {2, 4}, {1, 5}}, Catalog());
    FAIL("expected insufficient_stock");
  } catch (const server::HttpError& e) {
    CHECK(e.status() == 409);
    CHECK(e.type() == "insufficient_stock");
    const auto& products = e.extensions().at("products");
    REQUIRE(products.size() == 2);
    CHECK(products[0]["product_id"] == 1);
    CHECK(products[0]["sku"] == "A-1");
    CHECK(products[0]["requested"] == 11);
    CHECK(products[0]["available"] == 10);
    CHECK(products[1]["product_id"] == 2);
    CHECK(e.detail().find("A-1") != std::string::npos);
  }
}

TEST_CASE("order plan: unknown, inactive, mixed currency and overflow are 422", "[handlers][orders]") {
  try {
    PlanOrder({{1, 1}, {99, 1}, {3, 1}, {4, 1}}, Catalog());
    FAIL("expected 422");
  } catch (const server::HttpError& e) {
    CHECK(e.status() == 422);
    REQUIRE(e.errors().size() == 3);
    CHECK(e.errors()[0].field == "lines[1].product_id");
    CHECK(e.errors()[1].field == "lines[2].product_id");  // USD in an EUR order
    CHECK(e.errors()[2].field == "lines[3].product_id");  // inactive
  }
  auto catalog = Catalog();
  catalog[1].unit_price_minor = INT64_MAX / 2;
  catalog[1].stock = 1'000'000;
  CHECK_THROWS_AS(PlanOrder({{1, 3}}, catalog), server::HttpError);
}

TEST_CASE("order plan: lock order is ascending and distinct", "[handlers][orders]") {
  CHECK(ProductIdsToLock({{5, 1}, {2, 1}, {5, 2}, {9, 1}}) == std::vector<std::int64_t>{2, 5, 9});
  CHECK(ArrayLiteral(std::vector<std::int64_t>{2, 5, 9}) == "{2,5,9}");
  CHECK(ArrayLiteral(std::vector<int>{}) == "{}");
}

TEST_CASE("If-Match parsing uses strong comparison", "[handlers][etag]") {
  CHECK(ETag(3) == "\"v3\"");
  auto absent = ParseIfMatch(std::nullopt);
  CHECK_FALSE(absent.present);
  CHECK_FALSE(ExpectedVersion(absent));
  auto one = ParseIfMatch("\"v3\"");
  CHECK(ExpectedVersion(one) == 3);
  auto any = ParseIfMatch("*");
  CHECK(any.any);
  CHECK_FALSE(ExpectedVersion(any));
  auto list = ParseIfMatch(" \"v7\" , \"v8\"");
  CHECK(list.versions == std::vector<std::int64_t>{7, 8});
  // weak or foreign tags never match: a version that cannot exist
  CHECK(ExpectedVersion(ParseIfMatch("W/\"v3\"")) == 0);
  CHECK(ExpectedVersion(ParseIfMatch("\"abc\"")) == 0);
}

TEST_CASE("ILIKE patterns escape user wildcards", "[handlers]") {
  CHECK(ContainsPattern("ab") == "%ab%");
  CHECK(ContainsPattern("50%_off\\") == "%50\\%\\_off\\\\%");
}
