#include <catch2/catch.hpp>

#include "operator/kube/backoff.hpp"

using namespace tenant::kube;
using namespace std::chrono_literals;

TEST_CASE("reflector backoff doubles from 800ms to 30s without jitter", "[kube][backoff]") {
  Backoff b(Backoff::Params{}, [] { return 0.0; });
  auto t = Backoff::Clock::now();
  std::vector<long long> got;
  for (int i = 0; i < 8; ++i) got.push_back(b.Next(t += 1s).count());
  CHECK(got == std::vector<long long>{800, 1600, 3200, 6400, 12800, 25600, 30000, 30000});
}

TEST_CASE("jitter adds up to 100% of the base", "[kube][backoff]") {
  Backoff b(Backoff::Params{}, [] { return 0.5; });
  auto t = Backoff::Clock::now();
  CHECK(b.Next(t) == 1200ms);
  CHECK(b.Next(t + 1s) == 2400ms);
}

TEST_CASE("backoff resets after 2 minutes without failure", "[kube][backoff]") {
  Backoff b(Backoff::Params{}, [] { return 0.0; });
  auto t = Backoff::Clock::now();
  b.Next(t);
  b.Next(t + 1s);
  CHECK(b.Next(t + 2s) == 3200ms);
  CHECK(b.Next(t + 2s + 119s) == 6400ms);       // still within 2 min of the last failure
  CHECK(b.Next(t + 2s + 119s + 120s) == 800ms);  // 2 min healthy: back to the start
}
