#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "operator/specs/quantity.hpp"
#include "operator/specs/subset.hpp"

using nlohmann::json;
using namespace tenant;

namespace {
long long Nanos(const json& q) {
  auto v = specs::QuantityNanos(q);
  REQUIRE(v.has_value());
  return static_cast<long long>(*v);
}
}  // namespace

TEST_CASE("Quantities parse to exact nano-units", "[specs][quantity]") {
  CHECK(Nanos("500m") == 500'000'000LL);
  CHECK(Nanos("0.5") == 500'000'000LL);
  CHECK(Nanos(".5") == 500'000'000LL);
  CHECK(Nanos(2) == 2'000'000'000LL);
  CHECK(Nanos("1Ki") == 1024LL * 1'000'000'000LL);
  CHECK(Nanos("1k") == 1000LL * 1'000'000'000LL);
  CHECK(Nanos("1e3") == 1000LL * 1'000'000'000LL);
  CHECK(Nanos("1E-3") == 1'000'000LL);
  CHECK(Nanos("+1") == 1'000'000'000LL);
  CHECK(Nanos("-1m") == -1'000'000LL);
  CHECK(Nanos("1n") == 1LL);
  CHECK(Nanos("0.1n") == 1LL);  // rounded up to the server's precision
  for (const char* bad : {"", "m", "1x", "1Ki2", "1.2.3", "abc", "1e", "1e1234", "Ki"}) {
    INFO(bad);
    CHECK_FALSE(specs::QuantityNanos(bad).has_value());
  }
  CHECK_FALSE(specs::QuantityNanos(json(1.5)).has_value());
  CHECK_FALSE(specs::QuantityNanos("99999999999999999999999999999999999999999E").has_value());
}

TEST_CASE("Different spellings of one quantity are the same", "[specs][quantity]") {
  CHECK(specs::SameQuantity("0.5", "500m"));
  CHECK(specs::SameQuantity("1024Mi", "1Gi"));
  CHECK(specs::SameQuantity(1, "1"));
  CHECK(specs::SameQuantity("1000m", "1"));
  CHECK_FALSE(specs::SameQuantity("1G", "1Gi"));
  CHECK_FALSE(specs::SameQuantity("100m", "200m"));
  CHECK_FALSE(specs::SameQuantity("garbage", "1"));
}

TEST_CASE("IsSubset compares resource quantities by value, other strings exactly", "[specs][quantity]") {
  json desired = json::parse(R"({"resources":{"requests":{"cpu":"0.5","memory":"1024Mi"},"limits":{"cpu":1}},
                                 "env":[{"name":"X","value":"1"}]})");
  json canonical = json::parse(R"({"resources":{"requests":{"cpu":"500m","memory":"1Gi"},"limits":{"cpu":"1"}},
                                   "env":[{"name":"X","value":"1"}]})");
  CHECK(specs::IsSubset(desired, canonical));
  canonical["resources"]["limits"]["cpu"] = "2";
  CHECK_FALSE(specs::IsSubset(desired, canonical));
  canonical["resources"]["limits"]["cpu"] = "1";
  canonical["env"][0]["value"] = "1000m";  // not a quantity field: spelling matters
  CHECK_FALSE(specs::IsSubset(desired, canonical));
}
