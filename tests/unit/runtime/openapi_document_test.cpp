#include <catch2/catch.hpp>

#include "runtime/openapi/document.hpp"

using tenant::api::openapi::Document;
using nlohmann::json;

TEST_CASE("the document is OpenAPI 3.1 with shared problem components", "[openapi]") {
  Document d("tenant-api", "0.1.0");
  auto j = d.ToJson();
  CHECK(j["openapi"] == "3.1.0");
  CHECK(j["components"]["schemas"].contains("Problem"));
  CHECK(j["components"]["responses"].contains("TooManyRequests"));
  CHECK(j["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer");
}

TEST_CASE("operations get path parameters and standard errors", "[openapi]") {
  Document d("t", "1");
  d.AddSchema("Product", {{"type", "object"}});
  d.AddOperation("GET", "/api/v1/products/{id}",
                 {{"summary", "Get"}, {"responses", {{"200", {{"description", "ok"}, {"content", Document::JsonContent(Document::Ref("Product"))}}}}}});
  auto op = d.ToJson()["paths"]["/api/v1/products/{id}"]["get"];
  CHECK(op["parameters"][0]["name"] == "id");
  CHECK(op["parameters"][0]["in"] == "path");
  CHECK(op["responses"].contains("500"));
  CHECK(op["responses"]["200"]["content"]["application/json"]["schema"]["$ref"] == "#/components/schemas/Product");
  CHECK_THROWS_AS(d.AddOperation("get", "/api/v1/products/{id}", json::object()), std::invalid_argument);
  // Serialized is cached but follows changes
  auto before = d.Serialized();
  d.AddOperation("DELETE", "/api/v1/products/{id}", json::object());
  CHECK(d.Serialized() != before);
  CHECK(json::parse(d.Serialized())["paths"]["/api/v1/products/{id}"].contains("delete"));
}
