#include <catch2/catch.hpp>

#include "runtime/server/router.hpp"

using namespace tenant::api::server;

namespace {
Handler Named(std::string name) {
  return [name](Request&) { return Response::Text(200, name); };
}
}  // namespace

TEST_CASE("router matches templates and extracts parameters", "[server][router]") {
  Router r;
  r.Get("/api/v1/products", Named("list"));
  r.Get("/api/v1/products/{id}", Named("get"));
  r.Post("/api/v1/orders/{id}/cancel", Named("cancel"));
  r.Get("/api/v1/products/export", Named("export"));

  auto m = r.Find("GET", "/api/v1/products/42");
  REQUIRE(m.route != nullptr);
  CHECK(m.route->path_template == "/api/v1/products/{id}");
  CHECK(m.params.at("id") == "42");

  auto lit = r.Find("GET", "/api/v1/products/export");
  REQUIRE(lit.route != nullptr);
  CHECK(lit.route->path_template == "/api/v1/products/export");  // literal wins

  auto cancel = r.Find("POST", "/api/v1/orders/7/cancel");
  REQUIRE(cancel.route != nullptr);
  CHECK(cancel.params.at("id") == "7");

  CHECK(r.Find("GET", "/api/v1/products/42/extra").route == nullptr);
  CHECK(r.Find("GET", "/api/v1/products/").route == nullptr);  // empty segment is not an id
  CHECK(r.Find("GET", "/nope").allowed_methods.empty());
}

TEST_CASE("router reports allowed methods and maps HEAD to GET", "[server][router]") {
  Router r;
  r.Get("/things/{id}", Named("get"));
  r.Delete("/things/{id}", Named("delete"));
  auto m = r.Find("PUT", "/things/1");
  CHECK(m.route == nullptr);
  CHECK(m.allowed_methods == std::vector<std::string>{"DELETE", "GET"});
  auto head = r.Find("HEAD", "/things/1");
  REQUIRE(head.route != nullptr);
  CHECK(head.route->method == "GET");
}

TEST_CASE("router rejects malformed and duplicate templates", "[server][router]") {
  Router r;
  r.Get("/a/{id}", Named("x"));
  CHECK_THROWS_AS(r.Get("/a/{id}", Named("y")), std::invalid_argument);
  CHECK_THROWS_AS(r.Get("/a/{other}/b", Named("y")), std::invalid_argument);
  CHECK_THROWS_AS(r.Get("no-slash", Named("y")), std::invalid_argument);
  CHECK_THROWS_AS(r.Get("/a/x{id}", Named("y")), std::invalid_argument);
}

TEST_CASE("route options default the rate class from the method", "[server][router]") {
  Router r;
  r.Get("/r", Named("r"));
  r.Post("/w", Named("w"));
  r.Post("/auth/token", Named("t"), RouteOptions::Anonymous().Class(RateClass::kAuth));
  CHECK(r.Find("GET", "/r").route->options.rate_class == RateClass::kRead);
  CHECK(r.Find("POST", "/w").route->options.rate_class == RateClass::kWrite);
  CHECK(r.Find("POST", "/auth/token").route->options.rate_class == RateClass::kAuth);
}

TEST_CASE("query strings and paths are percent-decoded", "[server][request]") {
  auto q = ParseQuery("a=1&b=x%20y&c=a+b&d&=e&f=%zz");
  CHECK(q.find("a")->second == "1");
  CHECK(q.find("b")->second == "x y");
  CHECK(q.find("c")->second == "a b");
  CHECK(q.find("d")->second.empty());
  CHECK(q.find("f")->second == "%zz");
  CHECK(PercentDecode("/a%2Fb", false) == std::optional<std::string>("/a/b"));
  CHECK_FALSE(PercentDecode("%00", false).has_value());
  CHECK_FALSE(PercentDecode("%4", false).has_value());
}
