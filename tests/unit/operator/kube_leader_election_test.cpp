#include <catch2/catch.hpp>

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
  c.retry_period = 100ms;
  return c;
}
}  // namespace

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
