#include <catch2/catch.hpp>

#include "runtime/server/json_body.hpp"

using namespace tenant::api::server;

namespace {
Request JsonRequest(std::string body, std::string ct = "application/json") {
  Request r;
  r.method = "POST";
  r.headers.emplace_back("content-type", std::move(ct));
  r.body = std::move(body);
  return r;
}

std::vector<std::string> Fields(const HttpError& e) {
  std::vector<std::string> out;
  for (const auto& f : e.errors()) out.push_back(f.field);
  return out;
}
}  // namespace

TEST_CASE("JSON bodies require application/json", "[server][json]") {
  auto ok = ParseJsonBody(JsonRequest("{}", "application/json; charset=utf-8"));
  CHECK(ok.is_object());
  try {
    ParseJsonBody(JsonRequest("{}", "text/plain"));
    FAIL("expected 415");
  } catch (const HttpError& e) {
    CHECK(e.status() == 415);
  }
  Request none;
  none.body = "{}";
  CHECK_THROWS_MATCHES(ParseJsonBody(none), HttpError, Catch::Predicate<HttpError>([](const HttpError& e) { return e.status() == 415; }));
}

TEST_CASE("malformed JSON is a 400 without echoing the body", "[server][json]") {
  try {
    ParseJsonBody(JsonRequest("{\"secret\": tru"));
    FAIL("expected 400");
  } catch (const HttpError& e) {
    CHECK(e.status() == 400);
    CHECK(std::string(e.what()).find("secret") == std::string::npos);
  }
}

TEST_CASE("numbers overflowing a double are a 400, not a crash", "[server][json]") {
  // Regression from fuzz_json_body: nlohmann throws out_of_range, not parse_error.
  for (const char* body : {"[8e12066]", "{\"a\":1e400}", "-1e99999"}) {
    INFO(body);
    try {
      ParseJsonBody(JsonRequest(body));
      FAIL("expected 400");
    } catch (const HttpError& e) {
      CHECK(e.status() == 400);
    }
  }
}

TEST_CASE("nesting deeper than the limit is rejected", "[server][json]") {
  std::string deep(40, '[');
  deep += std::string(40, ']');
  try {
    ParseJsonBody(JsonRequest(deep));
    FAIL("expected 422");
  } catch (const HttpError& e) {
    CHECK(e.status() == 422);
  }
  CHECK_NOTHROW(ParseJsonBody(JsonRequest("[[[[1]]]]")));
  CHECK(JsonDepth(nlohmann::json::parse("[[[[1]]]]")) == 4);
  // a megabyte of '[' must not blow the stack
  std::string huge(900 * 1024, '[');
  CHECK_THROWS_AS(ParseJsonBody(JsonRequest(huge)), HttpError);
}

TEST_CASE("oversized bodies are 413", "[server][json]") {
  JsonLimits small;
  small.max_bytes = 10;
  try {
    ParseJsonText("application/json", "{\"a\":\"0123456789\"}", small);
    FAIL("expected 413");
  } catch (const HttpError& e) {
    CHECK(e.status() == 413);
  }
}

TEST_CASE("JsonObject lists every field error and unknown fields", "[server][json]") {
  auto body = nlohmann::json::parse(R"({"sku":"","price":-5,"active":"yes","extra":1,"lines":[{"product_id":1,"qty":2}]})");
  JsonObject in(body);
  auto sku = in.RequiredString("sku", {1, 64});
  auto price = in.RequiredInt("price", {0, 1000});
  auto active = in.RequiredBool("active");
  auto name = in.RequiredString("name");
  const auto* lines = in.RequiredArray("lines");
  REQUIRE(lines != nullptr);
  JsonObject line((*lines)[0], "lines[0].", &in.mutable_errors());
  line.RequiredInt("product_id", {1});
  line.RequiredInt("quantity", {1});
  line.CheckUnknown();
  CHECK_FALSE(sku);
  CHECK_FALSE(price);
  CHECK_FALSE(active);
  CHECK_FALSE(name);
  try {
    in.Finish();
    FAIL("expected 422");
  } catch (const HttpError& e) {
    CHECK(e.status() == 422);
    auto f = Fields(e);
    for (const char* expected : {"sku", "price", "active", "name", "extra", "lines[0].quantity", "lines[0].qty"}) {
      CHECK(std::find(f.begin(), f.end(), expected) != f.end());
    }
  }
}

TEST_CASE("JsonObject accepts valid input and optional fields", "[server][json]") {
  auto body = nlohmann::json::parse(R"({"name":"Widget","price":100,"note":null})");
  JsonObject in(body);
  CHECK(in.RequiredString("name") == std::optional<std::string>("Widget"));
  CHECK(in.RequiredInt("price") == std::optional<std::int64_t>(100));
  CHECK_FALSE(in.OptionalString("note"));
  CHECK_FALSE(in.OptionalBool("active"));
  CHECK_NOTHROW(in.Finish());

  auto not_object = nlohmann::json::parse("[1]");
  JsonObject bad(not_object);
  CHECK_THROWS_AS(bad.Finish(), HttpError);
}
