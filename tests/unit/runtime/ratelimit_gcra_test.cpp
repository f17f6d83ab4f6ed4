#include <catch2/catch.hpp>

#include "runtime/ratelimit/gcra.hpp"

using namespace tenant::api::ratelimit;

TEST_CASE("GCRA allows a burst then spaces requests by the emission interval", "[ratelimit]") {
  Quota q{60, std::chrono::minutes(1), 5};  // 1 per second, burst 5
  LocalLimiter l;
  std::int64_t t = 1'000'000;
  for (int i = 0; i < 5; ++i) {
    auto d = l.CheckAt(t, "k", q);
    REQUIRE(d.allowed);
    CHECK(d.limit == 5);
    CHECK(d.remaining == 4 - i);
  }
  auto rejected = l.CheckAt(t, "k", q);
  CHECK_FALSE(rejected.allowed);
  CHECK(rejected.remaining == 0);
  CHECK(rejected.retry_after_seconds == 1);
  CHECK(rejected.reset_seconds == 5);
  // one interval later exactly one more fits
  CHECK(l.CheckAt(t + 1000, "k", q).allowed);
  CHECK_FALSE(l.CheckAt(t + 1000, "k", q).allowed);
  // a full period later the whole burst is back
  auto later = l.CheckAt(t + 60'000, "k", q);
  CHECK(later.allowed);
  CHECK(later.remaining == 4);
  // keys are independent
  CHECK(l.CheckAt(t, "other", q).allowed);
}

TEST_CASE("GCRA step arithmetic", "[ratelimit]") {
  Quota q{10, std::chrono::seconds(10), 2};  // interval 1000 ms, tolerance 2000 ms
  CHECK(EmissionIntervalMs(q) == 1000);
  auto first = GcraCheck(0, -1, q);
  CHECK(first.allowed);
  CHECK(first.new_tat_ms == 1000);
  CHECK(first.remaining == 1);
  auto second = GcraCheck(0, first.new_tat_ms, q);
  CHECK(second.allowed);
  CHECK(second.remaining == 0);
  auto third = GcraCheck(0, second.new_tat_ms, q);
  CHECK_FALSE(third.allowed);
  CHECK(third.retry_after_ms == 1000);
  CHECK(third.new_tat_ms == second.new_tat_ms);  // rejections do not consume budget
}

TEST_CASE("the local limiter bounds its memory", "[ratelimit]") {
  LocalLimiter l(100);
  Quota q{1, std::chrono::minutes(1), 1};
  for (int i = 0; i < 1000; ++i) l.CheckAt(0, "k" + std::to_string(i), q);
  CHECK(l.size() <= 100);
}
