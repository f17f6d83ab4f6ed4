#include <catch2/catch.hpp>

#include <thread>

#include <nlohmann/json.hpp>

#include "tests/integration/runtime/api_fixture.hpp"

using namespace tenant::test::api;
using nlohmann::json;

namespace {

std::int64_t OrdersFor(const ApiHarness& h, std::int64_t product_id) {
  auto conn = h.db().ConnectAsApp();
  return conn.Exec("SELECT count(*) FROM order_lines WHERE product_id = $1", {product_id}).Int64(0, 0);
}

}  // namespace

TEST_CASE("idempotency: same key and body replays the original response once", "[integration][idempotency]") {
  auto& h = ApiHarness::Shared();
  const auto pid = h.CreateProduct("IDEM-" + UniqueSuffix(), 300, 10);
  const json body = {{"lines", {{{"product_id", pid}, {"quantity", 2}}}}};
  const std::string key = "key-" + UniqueSuffix();
  auto first = h.Call("POST", "/api/v1/orders", h.Token("clerk"), body, {{"Idempotency-Key", key}});
  INFO(first.body);
  REQUIRE(first.status == 201);
  CHECK(first.Header("idempotent-replayed").empty());
  auto again = h.Call("POST", "/api/v1/orders", h.Token("clerk"), body, {{"Idempotency-Key", key}});
  REQUIRE(again.status == 201);
  CHECK(again.Header("idempotent-replayed") == "true");
  CHECK(again.Json() == first.Json());
  CHECK(again.Header("location") == first.Header("location"));
  CHECK(OrdersFor(h, pid) == 1);
  CHECK(h.Call("GET", "/api/v1/products/" + std::to_string(pid), h.Token("clerk")).Json()["stock_quantity"] == 8);

  // key order inside the JSON body does not matter (canonical form)
  auto reordered = h.Call("POST", "/api/v1/orders", h.Token("clerk"),
                          json::parse(R"({"lines":[{"quantity":2,"product_id":)" + std::to_string(pid) + "}]}"),
                          {{"Idempotency-Key", key}});
  CHECK(reordered.status == 201);
  CHECK(OrdersFor(h, pid) == 1);
}

TEST_CASE("idempotency: same key with another body is 422", "[integration][idempotency]") {
  auto& h = ApiHarness::Shared();
  const auto pid = h.CreateProduct("IDEM2-" + UniqueSuffix(), 300, 10);
  const std::string key = "key-" + UniqueSuffix();
  auto first = h.Call("POST", "/api/v1/orders", h.Token("clerk"),
                      {{"lines", {{{"product_id", pid}, {"quantity", 1}}}}}, {{"Idempotency-Key", key}});
  REQUIRE(first.status == 201);
  auto other = h.Call("POST", "/api/v1/orders", h.Token("clerk"),
                      {{"lines", {{{"product_id", pid}, {"quantity", 5}}}}}, {{"Idempotency-Key", key}});
  INFO(other.body);
  CHECK(other.status == 422);
  CHECK(other.Json()["type"].get<std::string>().find("idempotency_key_reused") != std::string::npos);
  CHECK(OrdersFor(h, pid) == 1);
  // keys are per user: the manager may use the same key string independently
  auto manager = h.Call("POST", "/api/v1/orders", h.Token("manager"),
                        {{"lines", {{{"product_id", pid}, {"quantity", 5}}}}}, {{"Idempotency-Key", key}});
  CHECK(manager.status == 201);
  // invalid keys are rejected
  CHECK(h.Call("POST", "/api/v1/orders", h.Token("clerk"), {{"lines", {{{"product_id", pid}, {"quantity", 1}}}}},
               {{"Idempotency-Key", std::string(300, 'k')}}).status == 422);
}

TEST_CASE("idempotency: concurrent retries with one key run the effect once", "[integration][idempotency]") {
  auto& h = ApiHarness::Shared();
  const auto pid = h.CreateProduct("IDEM3-" + UniqueSuffix(), 300, 100);
  const std::string key = "key-" + UniqueSuffix();
  const json body = {{"lines", {{{"product_id", pid}, {"quantity", 3}}}}};
  std::vector<HttpResult> results(8);
  std::vector<std::thread> threads;
  for (size_t i = 0; i < results.size(); ++i) {
    threads.emplace_back([&, i] {
      results[i] = h.Call("POST", "/api/v1/orders", h.Token("clerk"), body, {{"Idempotency-Key", key}});
    });
  }
  for (auto& t : threads) t.join();
  std::set<std::string> ids;
  for (const auto& r : results) {
    INFO(r.body);
    REQUIRE(r.status == 201);
    ids.insert(r.Json()["id"].dump());
  }
  CHECK(ids.size() == 1);
  CHECK(OrdersFor(h, pid) == 1);
}

TEST_CASE("idempotency: errors are not stored; cancel replays", "[integration][idempotency]") {
  auto& h = ApiHarness::Shared();
  const auto pid = h.CreateProduct("IDEM4-" + UniqueSuffix(), 300, 1);
  const std::string key = "key-" + UniqueSuffix();
  const json body = {{"lines", {{{"product_id", pid}, {"quantity", 2}}}}};
  CHECK(h.Call("POST", "/api/v1/orders", h.Token("clerk"), body, {{"Idempotency-Key", key}}).status == 409);
  // stock arrives; the same key now succeeds (the 409 released it)
  auto conn = h.db().ConnectAsApp();
  conn.Exec("UPDATE products SET stock_quantity = 5 WHERE id = $1", {pid});
  auto ok = h.Call("POST", "/api/v1/orders", h.Token("clerk"), body, {{"Idempotency-Key", key}});
  REQUIRE(ok.status == 201);
  const std::string id = std::to_string(ok.Json()["id"].get<std::int64_t>());
  const std::string cancel_key = "cancel-" + UniqueSuffix();
  auto c1 = h.Call("POST", "/api/v1/orders/" + id + "/cancel", h.Token("clerk"), nullptr, {{"Idempotency-Key", cancel_key}});
  auto c2 = h.Call("POST", "/api/v1/orders/" + id + "/cancel", h.Token("clerk"), nullptr, {{"Idempotency-Key", cancel_key}});
  CHECK(c1.status == 200);
  CHECK(c2.status == 200);
  CHECK(c2.Header("idempotent-replayed") == "true");
  CHECK(conn.Exec("SELECT stock_quantity FROM products WHERE id = $1", {pid}).Int64(0, 0) == 5);
}
