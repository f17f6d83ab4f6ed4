// Leader election: one leader at a time, expiry judged on the local clock, release, poll
// spacing, waking at the observed expiry, and a renewal stuck in a request losing
// leadership at renewDeadline (not at the REST timeout).
#include <catch2/catch.hpp>

#include <condition_variable>
#include <future>
#include <mutex>
#include <thread>

#include "operator/kube/leader_election.hpp"
#include "tests/unit/operator/fake_lease_client.hpp"

using namespace tenant::kube;
using namespace std::chrono_literals;

namespace {

using FakeLeaseClient = tenant::test::FakeLeaseClient;

LeaderElectionConfig Cfg(std::string id) {
  LeaderElectionConfig c;
  c.lease_namespace = "ns";
  c.lease_name = "lease";
  c.identity = std::move(id);
  c.lease_duration = 1s;  // leaseDurationSeconds is whole seconds
  c.renew_deadline = 600ms;
  c.retry_period = 200ms;
  return c;
}

}  // namespace

TEST_CASE("attempt spacing stays below retryPeriod and wakes at the observed expiry", "[kube][leader]") {
  const auto retry = 2000ms;
  CHECK(NextAttemptDelay(retry, 0.0, std::nullopt) == 1500ms);
  CHECK(NextAttemptDelay(retry, 1.0, std::nullopt) == 1900ms);
  CHECK(NextAttemptDelay(retry, 0.5, std::nullopt) == 1700ms);
  // Out-of-range jitter is clamped: never above 0.95 · retryPeriod.
  CHECK(NextAttemptDelay(retry, 7.0, std::nullopt) == 1900ms);
  CHECK(NextAttemptDelay(retry, -1.0, std::nullopt) == 1500ms);
  // The lease expires sooner than the next poll: wake at expiry.
  CHECK(NextAttemptDelay(retry, 1.0, 300ms) == 300ms);
  // Already expired: try again at once.
  CHECK(NextAttemptDelay(retry, 1.0, -50ms) == 0ms);
  // Expiry further away than a poll: the poll comes first (the holder may release).
  CHECK(NextAttemptDelay(retry, 0.0, 5000ms) == 1500ms);
}

TEST_CASE("a standby's Acquire takes over a dead holder's lease after it expires locally, not before",
          "[kube][leader]") {
  auto fake = std::make_shared<FakeLeaseClient>();
  LeaderElector a(fake, Cfg("a"));
  LeaderElector b(fake, Cfg("b"));
  REQUIRE(a.Acquire(std::stop_token{}));
  CHECK(fake->Holder() == "a");

  std::stop_source stop_b;
  auto acquired = std::async(std::launch::async, [&] { return b.Acquire(stop_b.get_token()); });
  // a renews a few times while b polls, then "dies" (stops renewing).
  for (int i = 0; i < 3; ++i) {
    std::this_thread::sleep_for(200ms);
    REQUIRE(a.TryAcquireOrRenew());
  }
  const auto last_renewal = std::chrono::steady_clock::now();
  CHECK(fake->Holder() == "a");
  // Liveness guard only (a hang fails here instead of blocking the suite).
  REQUIRE(acquired.wait_for(10s) == std::future_status::ready);
  const auto took_over = std::chrono::steady_clock::now();
  CHECK(acquired.get());
  CHECK(b.IsLeader());
  CHECK(fake->Holder() == "b");
  CHECK(fake->Transitions() == 1);
  // Safety: b cannot take over before a full lease duration after a's last renewal (less
  // the window in which b's GET can run concurrently with that renewal and see it).
  CHECK(took_over - last_renewal >= 950ms);
}

TEST_CASE("a renewal stuck in a request loses leadership at renewDeadline", "[kube][leader]") {
  auto fake = std::make_shared<FakeLeaseClient>();
  LeaderElector a(fake, Cfg("a"));
  REQUIRE(a.Acquire(std::stop_token{}));  // creates the Lease (no Update)
  REQUIRE(a.IsLeader());

  std::stop_source stop;
  const auto start = std::chrono::steady_clock::now();
  fake->SetHang(true);  // every renewal now blocks like a request on a dead connection
  auto renewing = std::async(std::launch::async, [&] { return a.RenewUntil(stop.get_token()); });
  // Without the per-attempt bound RenewUntil would block as long as the request does
  // (here: forever). Liveness guard only.
  const bool returned = renewing.wait_for(10s) == std::future_status::ready;
  fake->SetHang(false);  // let the abandoned attempt finish so the elector can be destroyed
  if (!returned) stop.request_stop();
  REQUIRE(returned);
  CHECK_FALSE(renewing.get());  // leadership lost
  CHECK_FALSE(a.IsLeader());
  CHECK(std::chrono::steady_clock::now() - start >= 600ms);  // not before renewDeadline
}

TEST_CASE("a healthy leader keeps renewing until stopped", "[kube][leader]") {
  auto fake = std::make_shared<FakeLeaseClient>();
  LeaderElector a(fake, Cfg("a"));
  REQUIRE(a.Acquire(std::stop_token{}));
  std::stop_source stop;
  auto renewing = std::async(std::launch::async, [&] { return a.RenewUntil(stop.get_token()); });
  std::this_thread::sleep_for(1500ms);  // well past renewDeadline and leaseDuration
  stop.request_stop();
  REQUIRE(renewing.wait_for(10s) == std::future_status::ready);
  CHECK(renewing.get());
  CHECK(a.IsLeader());
  CHECK(fake->Holder() == "a");
  CHECK(fake->Updates() >= 3);  // renewed every retryPeriod (200 ms) — at least a few times
  a.Release();
  CHECK(fake->Holder().empty());
}

TEST_CASE("one leader at a time; a standby takes over only after the lease expires locally", "[kube][leader]") {
  auto fake = std::make_shared<FakeLeaseClient>();
  LeaderElector a(fake, Cfg("a"));
  LeaderElector b(fake, Cfg("b"));
  CHECK(a.TryAcquireOrRenew());  // 404 -> create
  CHECK(fake->Holder() == "a");
  CHECK_FALSE(b.TryAcquireOrRenew());  // held and fresh
  CHECK(a.TryAcquireOrRenew());        // renew
  // a stops renewing; b must wait a full lease duration from when IT saw the last change.
  std::this_thread::sleep_for(500ms);
  CHECK_FALSE(b.TryAcquireOrRenew());
  // b first saw a's renewal at the 500 ms look: 700 ms later that is still not expired...
  std::this_thread::sleep_for(700ms);
  CHECK_FALSE(b.TryAcquireOrRenew());
  // ...but a full lease duration after that look it is.
  std::this_thread::sleep_for(400ms);
  CHECK(b.TryAcquireOrRenew());
  CHECK(fake->Holder() == "b");
  CHECK_FALSE(a.TryAcquireOrRenew());  // a sees b's fresh record
}

TEST_CASE("release hands the lease over at once", "[kube][leader]") {
  auto fake = std::make_shared<FakeLeaseClient>();
  LeaderElector a(fake, Cfg("a"));
  LeaderElector b(fake, Cfg("b"));
  REQUIRE(a.Acquire(std::stop_token{}));
  CHECK(a.IsLeader());
  CHECK_FALSE(b.TryAcquireOrRenew());
  a.Release();
  CHECK_FALSE(a.IsLeader());
  CHECK(fake->Holder().empty());
  CHECK(b.TryAcquireOrRenew());  // empty holder: no need to wait for expiry
}
