#include <catch2/catch.hpp>

#include <thread>

#include <nlohmann/json.hpp>

#include "tests/integration/runtime/api_fixture.hpp"
#include "tests/support/postgres_server.hpp"

using namespace tenant::test::api;
using nlohmann::json;

namespace {

// A deliberately small JSON Schema check for the subset our OpenAPI document uses: $ref,
// type (string or list), required, properties, additionalProperties:false, items, enum.
void Validate(const json& doc, const json& schema, const json& value, const std::string& where,
              std::vector<std::string>& problems) {
  if (schema.contains("$ref")) {
    const std::string ref = schema["$ref"];
    const std::string name = ref.substr(ref.rfind('/') + 1);
    Validate(doc, doc["components"]["schemas"][name], value, where, problems);
    return;
  }
  if (schema.contains("type")) {
    std::vector<std::string> types;
    if (schema["type"].is_array()) types = schema["type"].get<std::vector<std::string>>();
    else types.push_back(schema["type"]);
    bool ok = false;
    for (const auto& t : types) {
      ok = ok || (t == "string" && value.is_string()) || (t == "integer" && value.is_number_integer()) ||
           (t == "boolean" && value.is_boolean()) || (t == "null" && value.is_null()) ||
           (t == "object" && value.is_object()) || (t == "array" && value.is_array());
    }
    if (!ok) problems.push_back(where + ": type " + value.type_name() + " not in " + schema["type"].dump());
  }
  if (schema.contains("enum") && std::find(schema["enum"].begin(), schema["enum"].end(), value) == schema["enum"].end()) {
    problems.push_back(where + ": " + value.dump() + " not in enum");
  }
  if (value.is_object() && schema.contains("properties")) {
    for (const auto& r : schema.value("required", json::array())) {
      if (!value.contains(r.get<std::string>())) problems.push_back(where + ": missing " + r.get<std::string>());
    }
    for (auto it = value.begin(); it != value.end(); ++it) {
      if (schema["properties"].contains(it.key())) {
        Validate(doc, schema["properties"][it.key()], it.value(), where + "." + it.key(), problems);
      } else if (schema.value("additionalProperties", true) == false) {
        problems.push_back(where + ": undocumented property " + it.key());
      }
    }
  }
  if (value.is_array() && schema.contains("items")) {
    for (size_t i = 0; i < value.size(); ++i) {
      Validate(doc, schema["items"], value[i], where + "[" + std::to_string(i) + "]", problems);
    }
  }
}

void CheckAgainstSpec(const json& doc, const std::string& path, const std::string& method, const HttpResult& r) {
  INFO(method << " " << path << " -> " << r.status << " " << r.body);
  const auto& op = doc["paths"][path][method];
  REQUIRE(op.is_object());
  const std::string code = std::to_string(r.status);
  REQUIRE(op["responses"].contains(code));
  json response = op["responses"][code];
  if (response.contains("$ref")) {
    const std::string ref = response["$ref"];
    response = doc["components"]["responses"][ref.substr(ref.rfind('/') + 1)];
  }
  if (r.body.empty()) return;
  REQUIRE(response.contains("content"));
  const auto& content = response["content"];
  const json& media = content.contains("application/json") ? content["application/json"]
                                                           : content["application/problem+json"];
  std::vector<std::string> problems;
  Validate(doc, media["schema"], r.Json(), "$", problems);
  for (const auto& p : problems) FAIL_CHECK(p);
}

}  // namespace

TEST_CASE("api: responses of every resource validate against /openapi.json", "[integration][api]") {
  auto& h = ApiHarness::Shared();
  auto spec = Http(h.port(), "GET", "/openapi.json");
  REQUIRE(spec.status == 200);
  const json doc = spec.Json();
  for (const char* p : {"/api/v1/auth/token", "/api/v1/auth/refresh", "/api/v1/auth/logout", "/api/v1/users",
                        "/api/v1/users/{id}", "/api/v1/users/{id}/deactivate", "/api/v1/users/{id}/password",
                        "/api/v1/customers", "/api/v1/customers/{id}", "/api/v1/products", "/api/v1/products/{id}",
                        "/api/v1/orders", "/api/v1/orders/{id}", "/api/v1/orders/{id}/cancel", "/api/v1/orders/{id}/ship"}) {
    CHECK(doc["paths"].contains(p));
  }

  const std::string admin = h.Token("admin"), manager = h.Token("manager"), clerk = h.Token("clerk");
  auto login = h.Call("POST", "/api/v1/auth/token", "", {{"username", "clerk-user"}, {"password", kPassword}});
  CheckAgainstSpec(doc, "/api/v1/auth/token", "post", login);
  CheckAgainstSpec(doc, "/api/v1/users", "get", h.Call("GET", "/api/v1/users", admin));
  CheckAgainstSpec(doc, "/api/v1/users/{id}", "get",
                   h.Call("GET", "/api/v1/users/" + std::to_string(h.user("clerk").id), admin));
  auto customer = h.Call("POST", "/api/v1/customers", manager, {{"name", "Spec Co"}});
  CheckAgainstSpec(doc, "/api/v1/customers", "post", customer);
  CheckAgainstSpec(doc, "/api/v1/customers", "get", h.Call("GET", "/api/v1/customers?limit=5", clerk));
  const auto pid = h.CreateProduct("SPEC-" + UniqueSuffix(), 1234, 10);
  CheckAgainstSpec(doc, "/api/v1/products/{id}", "get", h.Call("GET", "/api/v1/products/" + std::to_string(pid), clerk));
  CheckAgainstSpec(doc, "/api/v1/products", "get", h.Call("GET", "/api/v1/products?limit=3", clerk));
  auto order = h.Call("POST", "/api/v1/orders", clerk,
                      {{"customer_id", customer.Json()["id"]}, {"lines", {{{"product_id", pid}, {"quantity", 2}}}}});
  CheckAgainstSpec(doc, "/api/v1/orders", "post", order);
  CheckAgainstSpec(doc, "/api/v1/orders", "get", h.Call("GET", "/api/v1/orders?limit=3", clerk));
  CheckAgainstSpec(doc, "/api/v1/orders/{id}/ship", "post",
                   h.Call("POST", "/api/v1/orders/" + std::to_string(order.Json()["id"].get<std::int64_t>()) + "/ship", clerk));
  // errors
  CheckAgainstSpec(doc, "/api/v1/products/{id}", "get", h.Call("GET", "/api/v1/products/999999999", clerk));
  CheckAgainstSpec(doc, "/api/v1/orders", "post",
                   h.Call("POST", "/api/v1/orders", clerk, {{"lines", {{{"product_id", pid}, {"quantity", 1000}}}}}));
  CheckAgainstSpec(doc, "/api/v1/products", "post", h.Call("POST", "/api/v1/products", manager, json::object()));
  CheckAgainstSpec(doc, "/api/v1/users", "get", h.Call("GET", "/api/v1/users", clerk));
}

TEST_CASE("api: request id and security headers on domain responses", "[integration][api]") {
  auto& h = ApiHarness::Shared();
  auto r = h.Call("GET", "/api/v1/products/999999999", h.Token("clerk"), nullptr, {{"X-Request-ID", "trace-abc.1"}});
  CHECK(r.status == 404);
  CHECK(r.Header("x-request-id") == "trace-abc.1");
  CHECK(r.Json()["request_id"] == "trace-abc.1");
  CHECK(r.Header("x-content-type-options") == "nosniff");
  CHECK(r.Header("cache-control") == "no-store");
  CHECK(h.Call("GET", "/api/v1/products/abc", h.Token("clerk")).status == 404);
  CHECK(h.Call("GET", "/api/v1/products/-1", h.Token("clerk")).status == 404);
}

TEST_CASE("api: database outage gives 503 problem+json, then the pool reconnects", "[integration][api][outage]") {
  auto& h = ApiHarness::Shared();
  const auto pid = h.CreateProduct("OUTAGE-" + UniqueSuffix(), 1, 1);
  const std::string path = "/api/v1/products/" + std::to_string(pid);
  REQUIRE(h.Call("GET", path, h.Token("clerk")).status == 200);
  auto& pgs = tenant::test::PostgresServer::Shared();
  pgs.Stop();
  auto down = h.Call("GET", path, h.Token("clerk"));
  CHECK(down.status == 503);
  CHECK(down.Header("content-type").rfind("application/problem+json", 0) == 0);
  CHECK(down.body.find("SELECT") == std::string::npos);  // never SQL text
  auto down2 = h.Call("GET", path, h.Token("clerk"));
  CHECK(down2.status == 503);
  pgs.Start();
  int status = 0;
  for (int i = 0; i < 100 && status != 200; ++i) {
    status = h.Call("GET", path, h.Token("clerk")).status;
    if (status != 200) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  CHECK(status == 200);
}
