#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <future>
#include <memory>
#include <optional>
#include <stop_token>
#include <string>

#include <nlohmann/json.hpp>

#include "common/metrics/metrics.hpp"
#include "operator/kube/client.hpp"

namespace tenant::kube {

struct LeaderElectionConfig {
  std::string lease_namespace;
  std::string lease_name;
  std::string identity;  // "<hostname>_<random>"
  std::chrono::milliseconds lease_duration{15000};
  std::chrono::milliseconds renew_deadline{10000};
  std::chrono::milliseconds retry_period{2000};
};

// "<name>_<random hex>"; name = `name` (e.g. the pod name) or the hostname when empty.
std::string MakeLeaderIdentity(const std::string& name = {});

// How long a candidate sleeps before its next attempt: a jittered fraction in
// [0.75, 0.95] of retry_period (`jitter01` in [0, 1] picks within it), cut short so the
// candidate wakes right when the lease it saw expires (`until_expiry`; nullopt when
// unknown). Why below retry_period: a standby starts its expiry clock when it first SEES
// the holder's last renewal, which can be up to one poll gap after it happened; polling
// at most 0.95·retry_period apart and waking at expiry keeps a takeover within
// leaseDuration + retryPeriod of the holder's last renewal (so of its death), with room
// for the GET+PUT round trip. Pure, for tests.
std::chrono::milliseconds NextAttemptDelay(std::chrono::milliseconds retry_period, double jitter01,
                                           std::optional<std::chrono::milliseconds> until_expiry);

// client-go leaderelection over a coordination.k8s.io/v1 Lease:
//  - acquire: create the Lease on 404; otherwise take it only when it is free (empty
//    holder) or expired, where expiry is judged by the LOCAL clock since this process last
//    saw the record change (never by comparing the remote renewTime with our clock);
//    updates carry the resourceVersion, so a 409 means someone else won the race;
//  - renew every retry_period; if no renewal succeeds for renew_deadline, leadership is
//    lost (the caller must stop working — the process exits). Each renewal attempt is
//    bounded by the time left until renew_deadline: a request hanging on a dead
//    connection (REST timeout 30 s) must not keep us leading after a standby may have
//    taken over (client-go bounds it with a context timeout the same way);
//  - release on shutdown: empty holder and leaseDurationSeconds 1 so a standby takes
//    over at once.
// Metric: leader_election_master_status{name} 1 while leading.
class LeaderElector {
 public:
  LeaderElector(std::shared_ptr<Client> client, LeaderElectionConfig cfg, metrics::Registry* registry = nullptr);

  // Blocks until leadership is acquired (true) or `stop` is requested (false).
  bool Acquire(std::stop_token stop);
  // Keeps renewing until `stop` (returns true) or until renewal failed for renew_deadline
  // (returns false: leadership lost).
  bool RenewUntil(std::stop_token stop);
  // Gives the Lease up if we hold it. Best effort.
  void Release();

  bool IsLeader() const { return leader_.load(); }
  const LeaderElectionConfig& config() const { return cfg_; }

  // One acquire-or-renew attempt (exposed for tests).
  bool TryAcquireOrRenew();

  ~LeaderElector();  // waits for an attempt still in flight (it uses this object)
  LeaderElector(const LeaderElector&) = delete;
  LeaderElector& operator=(const LeaderElector&) = delete;

 private:
  void SetLeader(bool v);
  // TryAcquireOrRenew on a helper thread, waiting at most `limit`. nullopt: still running
  // (then no new attempt starts until it finishes). Exceptions are logged as failure.
  std::optional<bool> AttemptWithin(std::chrono::milliseconds limit);
  // Time until the lease we last saw expires by our clock; nullopt if unknown/free.
  std::optional<std::chrono::milliseconds> UntilObservedExpiry() const;

  std::shared_ptr<Client> client_;
  LeaderElectionConfig cfg_;
  metrics::Gauge* status_ = nullptr;
  std::atomic<bool> leader_{false};
  nlohmann::json observed_spec_;                       // last seen Lease spec
  std::string observed_rv_;
  std::chrono::steady_clock::time_point observed_at_{};  // local time we saw it change
  std::chrono::steady_clock::time_point expires_at_{};   // observed_at_ + its leaseDuration
  std::future<bool> pending_;                            // attempt in flight (AttemptWithin)
  std::chrono::steady_clock::time_point attempt_started_{};  // when pending_ began
};

// RFC 3339 with microseconds (metav1.MicroTime).
std::string FormatMicroTime(std::chrono::system_clock::time_point t);

}  // namespace tenant::kube
