#include <catch2/catch.hpp>

#include <atomic>
#include <set>
#include <thread>

#include <nlohmann/json.hpp>

#include "tests/integration/runtime/api_fixture.hpp"

using namespace tenant::test::api;
using nlohmann::json;

namespace {

std::int64_t Stock(const ApiHarness& h, std::int64_t product_id) {
  auto r = h.Call("GET", "/api/v1/products/" + std::to_string(product_id), h.Token("clerk"));
  REQUIRE(r.status == 200);
  return r.Json()["stock_quantity"].get<std::int64_t>();
}

json Lines(std::initializer_list<std::pair<std::int64_t, std::int64_t>> lines) {
  json out = json::array();
  for (const auto& [pid, qty] : lines) out.push_back({{"product_id", pid}, {"quantity", qty}});
  return out;
}

}  // namespace

TEST_CASE("orders: total computed server-side, stock taken, audit written", "[integration][orders]") {
  auto& h = ApiHarness::Shared();
  const auto a = h.CreateProduct("ORD-A-" + UniqueSuffix(), 1999, 10);
  const auto b = h.CreateProduct("ORD-B-" + UniqueSuffix(), 250, 5);
  auto r = h.Call("POST", "/api/v1/orders", h.Token("clerk"), {{"lines", Lines({{a, 2}, {b, 4}, {a, 1}})}},
                  {{"X-Request-ID", "order-req-" + UniqueSuffix()}});
  INFO(r.body);
  REQUIRE(r.status == 201);
  auto order = r.Json();
  CHECK(order["status"] == "confirmed");
  CHECK(order["total_minor"] == 3 * 1999 + 4 * 250);
  CHECK(order["currency"] == "EUR");
  CHECK(order["created_by"] == h.user("clerk").id);
  REQUIRE(order["lines"].size() == 3);
  CHECK(order["lines"][1]["line_total_minor"] == 1000);
  CHECK(r.Header("location") == "/api/v1/orders/" + std::to_string(order["id"].get<std::int64_t>()));
  CHECK(Stock(h, a) == 7);
  CHECK(Stock(h, b) == 1);

  auto got = h.Call("GET", "/api/v1/orders/" + std::to_string(order["id"].get<std::int64_t>()), h.Token("clerk"));
  REQUIRE(got.status == 200);
  CHECK(got.Json()["lines"] == order["lines"]);

  auto conn = h.db().ConnectAsApp();
  auto audit = conn.Exec("SELECT user_id, request_id FROM audit_log WHERE entity = 'order' AND entity_id = $1",
                         {std::to_string(order["id"].get<std::int64_t>())});
  REQUIRE(audit.rows() == 1);
  CHECK(audit.Int64(0, 0) == h.user("clerk").id);
  CHECK(std::string(audit.Value(0, 1)) == r.Header("x-request-id"));
}

TEST_CASE("orders: 409 insufficient_stock names the products and changes nothing", "[integration][orders]") {
  auto& h = ApiHarness::Shared();
  const std::string sku_a = "SHORT-A-" + UniqueSuffix();
  const auto a = h.CreateProduct(sku_a, 100, 2);
  const auto b = h.CreateProduct("SHORT-B-" + UniqueSuffix(), 100, 50);
  auto r = h.Call("POST", "/api/v1/orders", h.Token("clerk"), {{"lines", Lines({{a, 3}, {b, 1}})}});
  INFO(r.body);
  REQUIRE(r.status == 409);
  auto problem = r.Json();
  CHECK(problem["type"].get<std::string>().find("insufficient_stock") != std::string::npos);
  REQUIRE(problem["products"].size() == 1);
  CHECK(problem["products"][0]["product_id"] == a);
  CHECK(problem["products"][0]["sku"] == sku_a);
  CHECK(problem["products"][0]["requested"] == 3);
  CHECK(problem["products"][0]["available"] == 2);
  CHECK(Stock(h, a) == 2);
  CHECK(Stock(h, b) == 50);

  // unknown product, mixed currency: 422 with field errors
  const auto usd = h.CreateProduct("USD-" + UniqueSuffix(), 100, 5, "USD");
  auto bad = h.Call("POST", "/api/v1/orders", h.Token("clerk"), {{"lines", Lines({{b, 1}, {usd, 1}, {999999999, 1}})}});
  REQUIRE(bad.status == 422);
  CHECK(bad.Json()["errors"].size() == 2);
  auto empty = h.Call("POST", "/api/v1/orders", h.Token("clerk"), {{"lines", json::array()}, {"extra", 1}});
  REQUIRE(empty.status == 422);
  CHECK(empty.Json()["errors"].size() == 2);  // empty lines + unknown field
}

TEST_CASE("orders: cancel restores stock, ship is final", "[integration][orders]") {
  auto& h = ApiHarness::Shared();
  const auto a = h.CreateProduct("CXL-" + UniqueSuffix(), 100, 10);
  auto placed = h.Call("POST", "/api/v1/orders", h.Token("clerk"), {{"lines", Lines({{a, 4}})}});
  REQUIRE(placed.status == 201);
  const std::string id = std::to_string(placed.Json()["id"].get<std::int64_t>());
  CHECK(Stock(h, a) == 6);
  auto cancelled = h.Call("POST", "/api/v1/orders/" + id + "/cancel", h.Token("clerk"));
  REQUIRE(cancelled.status == 200);
  CHECK(cancelled.Json()["status"] == "cancelled");
  CHECK(Stock(h, a) == 10);
  // cancelling twice must not give the stock back twice
  CHECK(h.Call("POST", "/api/v1/orders/" + id + "/cancel", h.Token("clerk")).status == 409);
  CHECK(Stock(h, a) == 10);
  CHECK(h.Call("POST", "/api/v1/orders/" + id + "/ship", h.Token("clerk")).status == 409);

  auto second = h.Call("POST", "/api/v1/orders", h.Token("clerk"), {{"lines", Lines({{a, 1}})}});
  const std::string id2 = std::to_string(second.Json()["id"].get<std::int64_t>());
  auto shipped = h.Call("POST", "/api/v1/orders/" + id2 + "/ship", h.Token("clerk"));
  REQUIRE(shipped.status == 200);
  CHECK(shipped.Json()["status"] == "shipped");
  CHECK(h.Call("POST", "/api/v1/orders/" + id2 + "/cancel", h.Token("clerk")).status == 409);
  CHECK(Stock(h, a) == 9);
  CHECK(h.Call("POST", "/api/v1/orders/999999999/cancel", h.Token("clerk")).status == 404);
  auto listed = h.Call("GET", "/api/v1/orders?status=shipped&limit=200", h.Token("clerk"));
  REQUIRE(listed.status == 200);
  bool found = false;
  const json listed_body = listed.Json();
  for (const auto& o : listed_body["items"]) found = found || o["id"] == std::stoll(id2);
  CHECK(found);
}

TEST_CASE("orders: 50 clients race for the last 20 units", "[integration][orders][concurrency]") {
  auto& h = ApiHarness::Shared();
  const auto pid = h.CreateProduct("LAST20-" + UniqueSuffix(), 500, 20);
  // a second product locked by every order too, in varying line order, to provoke deadlocks
  // if locks were not taken in a fixed order
  const auto other = h.CreateProduct("LAST20-OTHER-" + UniqueSuffix(), 1, 1000);
  constexpr int kClients = 50;
  std::vector<HttpResult> results(kClients);
  std::vector<std::thread> threads;
  std::atomic<int> ready{0};
  const std::string token = h.Token("clerk");
  for (int i = 0; i < kClients; ++i) {
    threads.emplace_back([&, i] {
      json lines = i % 2 ? Lines({{pid, 1}, {other, 1}}) : Lines({{other, 1}, {pid, 1}});
      ready.fetch_add(1);
      while (ready.load() < kClients) std::this_thread::yield();
      results[i] = h.Call("POST", "/api/v1/orders", token, {{"lines", lines}});
    });
  }
  for (auto& t : threads) t.join();

  std::set<std::int64_t> accepted;
  int rejected = 0;
  for (const auto& r : results) {
    INFO(r.status << " " << r.body);
    if (r.status == 201) {
      accepted.insert(r.Json()["id"].get<std::int64_t>());
    } else {
      CHECK(r.status == 409);
      CHECK(r.Json()["products"][0]["product_id"] == pid);
      ++rejected;
    }
  }
  CHECK(accepted.size() == 20);
  CHECK(rejected == kClients - 20);
  CHECK(Stock(h, pid) == 0);
  CHECK(Stock(h, other) == 1000 - 20);
  auto conn = h.db().ConnectAsApp();
  auto sold = conn.Exec("SELECT coalesce(sum(quantity), 0), count(DISTINCT order_id) FROM order_lines WHERE product_id = $1", {pid});
  CHECK(sold.Int64(0, 0) == 20);
  CHECK(sold.Int64(0, 1) == 20);
  for (auto id : accepted) {
    CHECK(conn.Exec("SELECT status FROM orders WHERE id = $1", {id}).Value(0, 0) == "confirmed");
  }
  CHECK(conn.Exec("SELECT stock_quantity FROM products WHERE id = $1", {pid}).Int64(0, 0) == 0);
}
