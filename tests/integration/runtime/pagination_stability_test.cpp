#include <catch2/catch.hpp>

#include <set>

#include <nlohmann/json.hpp>

#include "tests/integration/runtime/api_fixture.hpp"

using namespace tenant::test::api;
using nlohmann::json;

TEST_CASE("pagination: every row exactly once while rows are inserted between pages", "[integration][pagination]") {
  auto& h = ApiHarness::Shared();
  const std::string tag = "PG" + UniqueSuffix();
  std::vector<std::int64_t> original;
  for (int i = 0; i < 25; ++i) original.push_back(h.CreateProduct(tag + "-" + std::to_string(i), 10, 1));

  std::vector<std::int64_t> seen;
  std::string cursor;
  int pages = 0;
  int inserted = 0;
  for (;;) {
    std::string target = "/api/v1/products?limit=10&q=" + tag;
    if (!cursor.empty()) target += "&cursor=" + cursor;
    auto r = h.Call("GET", target, h.Token("clerk"));
    INFO(r.body);
    REQUIRE(r.status == 200);
    auto body = r.Json();
    for (const auto& item : body["items"]) seen.push_back(item["id"].get<std::int64_t>());
    ++pages;
    // concurrent writers add rows while the client pages
    h.CreateProduct(tag + "-late-" + std::to_string(inserted++), 10, 1);
    if (body["next_cursor"].is_null()) break;
    cursor = body["next_cursor"].get<std::string>();
    REQUIRE(pages < 20);
  }
  std::set<std::int64_t> unique(seen.begin(), seen.end());
  CHECK(unique.size() == seen.size());  // nothing repeated
  for (auto id : original) CHECK(unique.count(id) == 1);  // nothing skipped
  CHECK(std::is_sorted(seen.begin(), seen.end()));
}

TEST_CASE("pagination: bad cursor or limit is 422 naming both", "[integration][pagination]") {
  auto& h = ApiHarness::Shared();
  auto r = h.Call("GET", "/api/v1/products?cursor=abc&limit=1000", h.Token("clerk"));
  REQUIRE(r.status == 422);
  CHECK(r.Json()["errors"].size() == 2);
  auto filters = h.Call("GET", "/api/v1/products?active=maybe&currency=XYZ", h.Token("clerk"));
  CHECK(filters.status == 422);
  auto orders = h.Call("GET", "/api/v1/orders?status=lost", h.Token("clerk"));
  CHECK(orders.status == 422);
}

TEST_CASE("pagination: filters and the last page", "[integration][pagination]") {
  auto& h = ApiHarness::Shared();
  const std::string tag = "FLT" + UniqueSuffix();
  h.CreateProduct(tag + "-eur", 10, 1, "EUR");
  h.CreateProduct(tag + "-jpy", 10, 1, "JPY");
  auto r = h.Call("GET", "/api/v1/products?q=" + tag + "&currency=JPY", h.Token("clerk"));
  REQUIRE(r.status == 200);
  REQUIRE(r.Json()["items"].size() == 1);
  CHECK(r.Json()["items"][0]["sku"] == tag + "-jpy");
  CHECK(r.Json()["next_cursor"].is_null());
  // LIKE wildcards in q are literal
  auto pct = h.Call("GET", "/api/v1/products?q=%25", h.Token("clerk"));
  REQUIRE(pct.status == 200);
  CHECK(pct.Json()["items"].empty());
}
