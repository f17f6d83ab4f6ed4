#include <catch2/catch.hpp>

#include "runtime/handlers/pagination.hpp"

using namespace tenant::api;

TEST_CASE("pagination: cursors round-trip and are opaque", "[pagination]") {
  for (std::int64_t id : {0LL, 1LL, 42LL, 9'007'199'254'740'993LL}) {
    auto c = EncodeCursor(id);
    CHECK(c.rfind("c1.", 0) == 0);
    CHECK(DecodeCursor(c) == id);
  }
  CHECK(EncodeCursor(42).find("42") == std::string::npos);
}

TEST_CASE("pagination: foreign or forged cursors are refused", "[pagination]") {
  CHECK_FALSE(DecodeCursor(""));
  CHECK_FALSE(DecodeCursor("42"));
  CHECK_FALSE(DecodeCursor("c2.NDI"));
  CHECK_FALSE(DecodeCursor("c1.!!"));
  CHECK_FALSE(DecodeCursor("c1.LTE"));   // "-1"
  CHECK_FALSE(DecodeCursor("c1.MDQy"));  // "042"
  CHECK_FALSE(DecodeCursor("c1.NDJh"));  // "42a"
  CHECK_FALSE(DecodeCursor("c1." + std::string(80, 'A')));
}

TEST_CASE("pagination: limit", "[pagination]") {
  CHECK(ParseLimit("") == kDefaultPageLimit);
  CHECK(ParseLimit("1") == 1);
  CHECK(ParseLimit("200") == 200);
  CHECK_FALSE(ParseLimit("0"));
  CHECK_FALSE(ParseLimit("201"));
  CHECK_FALSE(ParseLimit("-1"));
  CHECK_FALSE(ParseLimit("10abc"));
}
