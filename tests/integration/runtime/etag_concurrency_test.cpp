#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "tests/integration/runtime/api_fixture.hpp"

using namespace tenant::test::api;
using nlohmann::json;

TEST_CASE("etag: GET returns an ETag; PATCH needs If-Match and fails with 412 when stale", "[integration][etag]") {
  auto& h = ApiHarness::Shared();
  const auto id = h.CreateProduct("ETAG-" + UniqueSuffix(), 1000, 5);
  const std::string path = "/api/v1/products/" + std::to_string(id);
  auto read = h.Call("GET", path, h.Token("manager"));
  REQUIRE(read.status == 200);
  const std::string etag = read.Header("etag");
  CHECK(etag == "\"v1\"");

  auto missing = h.Call("PATCH", path, h.Token("manager"), {{"unit_price_minor", 1100}});
  CHECK(missing.status == 428);

  auto first = h.Call("PATCH", path, h.Token("manager"), {{"unit_price_minor", 1100}}, {{"If-Match", etag}});
  INFO(first.body);
  REQUIRE(first.status == 200);
  CHECK(first.Json()["unit_price_minor"] == 1100);
  CHECK(first.Json()["name"] == read.Json()["name"]);  // untouched fields stay
  const std::string etag2 = first.Header("etag");
  CHECK(etag2 == "\"v2\"");

  // a second writer still holding the old ETag loses
  auto stale = h.Call("PATCH", path, h.Token("manager"), {{"unit_price_minor", 900}}, {{"If-Match", etag}});
  CHECK(stale.status == 412);
  CHECK(stale.Header("content-type").rfind("application/problem+json", 0) == 0);
  CHECK(h.Call("GET", path, h.Token("manager")).Json()["unit_price_minor"] == 1100);

  // weak tags never match; "*" matches any version
  CHECK(h.Call("PATCH", path, h.Token("manager"), {{"name", "x"}}, {{"If-Match", "W/" + etag2}}).status == 412);
  CHECK(h.Call("PATCH", path, h.Token("manager"), {{"name", "renamed"}}, {{"If-Match", "*"}}).status == 200);

  // delete with a stale tag: 412, then with the current one: 204, then 404
  CHECK(h.Call("DELETE", path, h.Token("manager"), nullptr, {{"If-Match", etag2}}).status == 412);
  const std::string current = h.Call("GET", path, h.Token("manager")).Header("etag");
  CHECK(h.Call("DELETE", path, h.Token("manager"), nullptr, {{"If-Match", current}}).status == 204);
  CHECK(h.Call("GET", path, h.Token("manager")).status == 404);
  CHECK(h.Call("PATCH", path, h.Token("manager"), {{"name", "y"}}, {{"If-Match", current}}).status == 404);

  auto conn = h.db().ConnectAsApp();
  auto audit = conn.Exec("SELECT action FROM audit_log WHERE entity = 'product' AND entity_id = $1 ORDER BY id",
                         {std::to_string(id)});
  REQUIRE(audit.rows() == 4);  // create, update, update, delete
  CHECK(audit.Value(3, 0) == "delete");
}

TEST_CASE("etag: customers support partial updates, clearing fields and 412", "[integration][etag]") {
  auto& h = ApiHarness::Shared();
  const std::string email = "c" + UniqueSuffix() + "@example.com";
  auto created = h.Call("POST", "/api/v1/customers", h.Token("manager"),
                        {{"name", "Ada"}, {"email", email}, {"phone", "+1 555"}});
  INFO(created.body);
  REQUIRE(created.status == 201);
  const std::string path = created.Header("location");
  const std::string etag = created.Header("etag");
  auto cleared = h.Call("PATCH", path, h.Token("manager"), {{"phone", nullptr}}, {{"If-Match", etag}});
  REQUIRE(cleared.status == 200);
  CHECK(cleared.Json()["phone"].is_null());
  CHECK(cleared.Json()["email"] == email);
  CHECK(h.Call("PATCH", path, h.Token("manager"), {{"name", "Bob"}}, {{"If-Match", etag}}).status == 412);
  // duplicate e-mail (case-insensitive) is a 409 naming the field
  auto dup = h.Call("POST", "/api/v1/customers", h.Token("manager"), {{"name", "Eve"}, {"email", "X" + email}});
  CHECK(dup.status == 201);
  auto dup2 = h.Call("POST", "/api/v1/customers", h.Token("manager"), {{"name", "Eve"}, {"email", email}});
  CHECK(dup2.status == 409);
}

TEST_CASE("products: duplicate sku 409, validation lists every field", "[integration][etag]") {
  auto& h = ApiHarness::Shared();
  const std::string sku = "DUP-" + UniqueSuffix();
  h.CreateProduct(sku, 1, 1);
  auto dup = h.Call("POST", "/api/v1/products", h.Token("manager"),
                    {{"sku", sku}, {"name", "n"}, {"unit_price_minor", 1}, {"currency", "EUR"}});
  CHECK(dup.status == 409);
  auto bad = h.Call("POST", "/api/v1/products", h.Token("manager"),
                    {{"sku", "bad sku"}, {"name", ""}, {"unit_price_minor", 1.5}, {"currency", "EURO"},
                     {"stock_quantity", -1}, {"color", "red"}});
  INFO(bad.body);
  REQUIRE(bad.status == 422);
  std::set<std::string> fields;
  const json bad_body = bad.Json();
  for (const auto& e : bad_body["errors"]) fields.insert(e["field"].get<std::string>());
  CHECK(fields == std::set<std::string>{"sku", "name", "unit_price_minor", "currency", "stock_quantity", "color"});
}
