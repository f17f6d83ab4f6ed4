#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <thread>

#include "operator/kube/rate_limiter.hpp"
#include "operator/kube/workqueue.hpp"

using namespace tenant::kube;
using namespace std::chrono_literals;

TEST_CASE("work queue is FIFO and deduplicates waiting keys", "[kube][workqueue]") {
  WorkQueue q("t", DefaultControllerRateLimiter());
  q.Add("a/1");
  q.Add("a/2");
  q.Add("a/1");
  REQUIRE(q.Len() == 2);
  CHECK(*q.Get() == "a/1");
  CHECK(*q.Get() == "a/2");
}

TEST_CASE("a key added while processing is handed out again only after Done", "[kube][workqueue]") {
  WorkQueue q("t", DefaultControllerRateLimiter());
  q.Add("k");
  auto k = q.Get();
  REQUIRE(k == "k");
  q.Add("k");  // dirty while processing
  CHECK(q.Len() == 0);  // not available to another worker
  q.Add("k");  // still deduplicated
  q.Done("k");
  CHECK(q.Len() == 1);
  CHECK(*q.Get() == "k");
  q.Done("k");
  CHECK(q.Len() == 0);
}

TEST_CASE("no key is processed by two workers at once", "[kube][workqueue]") {
  WorkQueue q("t", DefaultControllerRateLimiter());
  std::atomic<int> in_flight{0}, max_in_flight{0}, processed{0};
  std::vector<std::jthread> workers;
  for (int i = 0; i < 4; ++i) {
    workers.emplace_back([&] {
      while (auto key = q.Get()) {
        int now = ++in_flight;
        int prev = max_in_flight.load();
        while (now > prev && !max_in_flight.compare_exchange_weak(prev, now)) {
        }
        std::this_thread::sleep_for(1ms);
        --in_flight;
        ++processed;
        q.Done(*key);
      }
    });
  }
  for (int i = 0; i < 200; ++i) {
    q.Add("same");
    std::this_thread::sleep_for(100us);
  }
  std::this_thread::sleep_for(50ms);
  q.ShutDown();
  workers.clear();
  CHECK(max_in_flight.load() == 1);
  CHECK(processed.load() >= 1);
  CHECK(processed.load() <= 200);
}

TEST_CASE("AddAfter delays and keeps the earliest time", "[kube][workqueue]") {
  WorkQueue q("t", DefaultControllerRateLimiter());
  q.AddAfter("k", 10s);
  q.AddAfter("k", 30ms);
  CHECK(q.DelayedLen() == 1);
  CHECK(q.Len() == 0);
  auto start = std::chrono::steady_clock::now();
  auto k = q.Get();
  auto waited = std::chrono::steady_clock::now() - start;
  REQUIRE(k == "k");
  CHECK(waited >= 25ms);
  CHECK(q.DelayedLen() == 0);
}

TEST_CASE("ShutDown releases blocked workers", "[kube][workqueue]") {
  WorkQueue q("t", DefaultControllerRateLimiter());
  std::optional<std::string> got = "x";
  std::thread t([&] { got = q.Get(); });
  std::this_thread::sleep_for(20ms);
  q.ShutDown();
  t.join();
  CHECK_FALSE(got.has_value());
  q.Add("late");
  CHECK(q.Len() == 0);
}

TEST_CASE("per-item exponential limiter: 5ms * 2^n capped at 1000s, Forget resets", "[kube][ratelimit]") {
  ItemExponentialRateLimiter l;
  auto now = RateLimiter::Clock::now();
  CHECK(l.When("a", now) == 5ms);
  CHECK(l.When("a", now) == 10ms);
  CHECK(l.When("a", now) == 20ms);
  CHECK(l.When("b", now) == 5ms);
  CHECK(l.NumRequeues("a") == 3);
  for (int i = 0; i < 30; ++i) l.When("a", now);
  CHECK(l.When("a", now) == 1000s);
  l.Forget("a");
  CHECK(l.NumRequeues("a") == 0);
  CHECK(l.When("a", now) == 5ms);
}

TEST_CASE("bucket limiter: burst 100 free, then 10 qps", "[kube][ratelimit]") {
  BucketRateLimiter b(10, 100);
  auto now = RateLimiter::Clock::now();
  for (int i = 0; i < 100; ++i) REQUIRE(b.When("k" + std::to_string(i), now) == 0ns);
  CHECK(b.When("x", now) == 100ms);
  CHECK(b.When("y", now) == 200ms);
  // One second later 10 tokens have refilled; two were already owed.
  CHECK(b.When("z", now + 1s) == 0ns);
}

TEST_CASE("default controller limiter is the max of both", "[kube][ratelimit]") {
  auto l = DefaultControllerRateLimiter();
  auto now = RateLimiter::Clock::now();
  CHECK(l->When("a", now) == 5ms);
  CHECK(l->When("a", now) == 10ms);
  for (int i = 0; i < 98; ++i) l->When("k" + std::to_string(i), now);  // drain the bucket
  CHECK(l->When("fresh", now) == 100ms);  // bucket delay dominates the 5ms per-item delay
  l->Forget("a");
  CHECK(l->NumRequeues("a") == 0);
}
