#include <catch2/catch.hpp>

#include "operator/kube/errors.hpp"

using namespace tenant::kube;

TEST_CASE("Status bodies become typed errors", "[kube][errors]") {
  auto body = R"({"kind":"Status","apiVersion":"v1","status":"Failure","message":"configmaps \"x\" not found",
                  "reason":"NotFound","details":{"name":"x","kind":"configmaps"},"code":404})";
  auto s = ParseStatus(404, body);
  CHECK(s.code == 404);
  CHECK(s.reason == "NotFound");
  CHECK(s.message == "configmaps \"x\" not found");
  CHECK_THROWS_AS(ThrowStatus(s), NotFoundError);
  try {
    ThrowStatus(s);
  } catch (const std::exception& e) {
    CHECK(IsNotFound(e));
    CHECK_FALSE(IsConflict(e));
  }
}

TEST_CASE("409 distinguishes Conflict from AlreadyExists", "[kube][errors]") {
  CHECK_THROWS_AS(ThrowStatus(ParseStatus(409, R"({"kind":"Status","reason":"AlreadyExists","code":409})")),
                  AlreadyExistsError);
  CHECK_THROWS_AS(ThrowStatus(ParseStatus(409, R"({"kind":"Status","reason":"Conflict","code":409})")),
                  ConflictError);
}

TEST_CASE("Invalid carries field causes", "[kube][errors]") {
  auto s = ParseStatus(422, R"({"kind":"Status","reason":"Invalid","code":422,"message":"bad",
    "details":{"causes":[{"reason":"FieldValueInvalid","message":"must be > 0","field":"spec.replicas"}]}})");
  REQUIRE(s.causes.size() == 1);
  CHECK(s.causes[0].field == "spec.replicas");
  CHECK(s.causes[0].type == "FieldValueInvalid");
  try {
    ThrowStatus(s);
    FAIL("no throw");
  } catch (const InvalidError& e) {
    CHECK(std::string(e.what()).find("spec.replicas") != std::string::npos);
  }
}

TEST_CASE("Expired inside a 200 watch ERROR event is Gone", "[kube][errors]") {
  auto s = ParseStatus(410, R"({"kind":"Status","reason":"Expired","code":410,"message":"too old resource version"})");
  CHECK_THROWS_AS(ThrowStatus(s), GoneError);
  try {
    ThrowStatus(s);
  } catch (const std::exception& e) {
    CHECK(IsGone(e));
  }
}

TEST_CASE("429 and 5xx carry retryAfterSeconds; non-Status bodies still map by code", "[kube][errors]") {
  auto s = ParseStatus(429, R"({"kind":"Status","reason":"TooManyRequests","code":429,"details":{"retryAfterSeconds":3}})");
  REQUIRE(s.retry_after_seconds);
  CHECK(*s.retry_after_seconds == 3);
  CHECK_THROWS_AS(ThrowStatus(s), TooManyRequestsError);
  auto p = ParseStatus(503, "upstream connect error");
  CHECK(p.reason == "ServiceUnavailable");
  CHECK(p.message == "upstream connect error");
  CHECK_THROWS_AS(ThrowStatus(p), ServerError);
  CHECK_THROWS_AS(ThrowStatus(ParseStatus(403, "{}")), ForbiddenError);
}
