#include "operator/kube/leader_election.hpp"

#include <unistd.h>

#include <algorithm>
#include <condition_variable>
#include <ctime>
#include <mutex>
#include <random>

#include <openssl/rand.h>

#include "common/log/log.hpp"
#include "operator/kube/resource.hpp"

namespace tenant::kube {

std::string FormatMicroTime(std::chrono::system_clock::time_point t) {
  auto us = std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count();
  std::time_t secs = static_cast<std::time_t>(us / 1000000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[40];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
  char out[64];
  std::snprintf(out, sizeof(out), "%s.%06lldZ", buf, static_cast<long long>(us % 1000000));
  return out;
}

std::string MakeLeaderIdentity(const std::string& name) {
  char host[256] = {};
  if (!name.empty()) std::snprintf(host, sizeof(host), "%s", name.c_str());
  else if (gethostname(host, sizeof(host) - 1) != 0) std::snprintf(host, sizeof(host), "unknown");
  unsigned char rnd[8];
  if (RAND_bytes(rnd, sizeof(rnd)) != 1) {
    std::random_device rd;
    for (auto& b : rnd) b = static_cast<unsigned char>(rd());
  }
  std::string id = std::string(host) + "_";
  static const char* kHex = "0123456789abcdef";
  for (unsigned char b : rnd) {
    id.push_back(kHex[b >> 4]);
    id.push_back(kHex[b & 15]);
  }
  return id;
}

std::chrono::milliseconds NextAttemptDelay(std::chrono::milliseconds retry_period, double jitter01,
                                           std::optional<std::chrono::milliseconds> until_expiry) {
  jitter01 = std::clamp(jitter01, 0.0, 1.0);
  auto d = std::chrono::milliseconds(static_cast<long long>(retry_period.count() * (0.75 + 0.2 * jitter01)));
  if (until_expiry) d = std::min(d, std::max(*until_expiry, std::chrono::milliseconds(0)));
  return d;
}

LeaderElector::LeaderElector(std::shared_ptr<Client> client, LeaderElectionConfig cfg, metrics::Registry* registry)
    : client_(std::move(client)), cfg_(std::move(cfg)) {
  if (registry) {
    status_ = &registry->Gauge("leader_election_master_status",
                               "Gauge of if the reporting system is master of the relevant lease, 0 indicates "
                               "backup, 1 indicates master. 'name' is the string used to identify the lease.",
                               {"name"})
                   .WithLabelValues({cfg_.lease_name});
  }
}

LeaderElector::~LeaderElector() {
  if (pending_.valid()) pending_.wait();
}

void LeaderElector::SetLeader(bool v) {
  leader_.store(v);
  if (status_) status_->Set(v ? 1 : 0);
}

bool LeaderElector::TryAcquireOrRenew() {
  const auto now_wall = std::chrono::system_clock::now();
  const auto now = std::chrono::steady_clock::now();
  const int duration_s = static_cast<int>(std::chrono::duration_cast<std::chrono::seconds>(cfg_.lease_duration).count());
  Json lease;
  try {
    lease = client_->Get(resources::kLeases, cfg_.lease_namespace, cfg_.lease_name);
  } catch (const NotFoundError&) {
    Json fresh{{"apiVersion", "coordination.k8s.io/v1"},
               {"kind", "Lease"},
               {"metadata", {{"name", cfg_.lease_name}, {"namespace", cfg_.lease_namespace}}},
               {"spec",
                {{"holderIdentity", cfg_.identity},
                 {"leaseDurationSeconds", duration_s},
                 {"acquireTime", FormatMicroTime(now_wall)},
                 {"renewTime", FormatMicroTime(now_wall)},
                 {"leaseTransitions", 0}}}};
    try {
      auto created = client_->Create(resources::kLeases, cfg_.lease_namespace, fresh);
      observed_spec_ = created["spec"];
      observed_rv_ = created["metadata"].value("resourceVersion", "");
      observed_at_ = now;
      expires_at_ = now + cfg_.lease_duration;
      return true;
    } catch (const ApiError&) {
      return false;  // someone else created it first
    }
  }

  Json spec = lease.value("spec", Json::object());
  const std::string rv = lease["metadata"].value("resourceVersion", "");
  if (spec != observed_spec_) {
    // The record changed since we last looked: restart the expiry clock locally.
    observed_spec_ = spec;
    observed_at_ = now;
  }
  observed_rv_ = rv;
  const std::string holder = spec.value("holderIdentity", "");
  const int held_for = spec.value("leaseDurationSeconds", duration_s);
  expires_at_ = observed_at_ + std::chrono::seconds(held_for);
  const bool expired = now >= expires_at_;
  if (!holder.empty() && holder != cfg_.identity && !expired) return false;

  Json next = spec;
  next["holderIdentity"] = cfg_.identity;
  next["leaseDurationSeconds"] = duration_s;
  next["renewTime"] = FormatMicroTime(now_wall);
  if (holder != cfg_.identity) {
    next["acquireTime"] = FormatMicroTime(now_wall);
    next["leaseTransitions"] = spec.value("leaseTransitions", 0) + 1;
  }
  lease["spec"] = next;
  try {
    auto updated = client_->Update(resources::kLeases, cfg_.lease_namespace, lease);
    observed_spec_ = updated["spec"];
    observed_rv_ = updated["metadata"].value("resourceVersion", "");
    observed_at_ = now;
    expires_at_ = now + cfg_.lease_duration;
    return true;
  } catch (const ApiError&) {
    return false;  // 409: another candidate updated it first
  }
}

std::optional<std::chrono::milliseconds> LeaderElector::UntilObservedExpiry() const {
  if (observed_spec_.is_null() || observed_spec_.value("holderIdentity", "").empty()) return std::nullopt;
  return std::chrono::duration_cast<std::chrono::milliseconds>(expires_at_ - std::chrono::steady_clock::now()) +
         std::chrono::milliseconds(1);  // wake just past expiry, not just before it
}

std::optional<bool> LeaderElector::AttemptWithin(std::chrono::milliseconds limit) {
  if (!pending_.valid()) {
    attempt_started_ = std::chrono::steady_clock::now();
    pending_ = std::async(std::launch::async, [this] {
      try {
        return TryAcquireOrRenew();
      } catch (const std::exception& e) {
        log::Warn("Failed to renew lease", {{"error", e.what()}});
        return false;
      }
    });
  }
  if (pending_.wait_for(std::max(limit, std::chrono::milliseconds(0))) != std::future_status::ready) {
    return std::nullopt;
  }
  return pending_.get();  // get() leaves the future invalid: the next call starts a new attempt
}

namespace {
bool SleepFor(std::stop_token stop, std::chrono::milliseconds d) {
  std::mutex m;
  std::condition_variable_any cv;
  std::unique_lock lock(m);
  cv.wait_for(lock, stop, d, [] { return false; });
  return !stop.stop_requested();
}
}  // namespace

bool LeaderElector::Acquire(std::stop_token stop) {
  log::Info("Attempting to acquire leader lease",
            {{"lease", cfg_.lease_namespace + "/" + cfg_.lease_name}, {"identity", cfg_.identity}});
  std::mt19937 gen(std::random_device{}());
  while (!stop.stop_requested()) {
    bool ok = false;
    try {
      ok = TryAcquireOrRenew();
    } catch (const std::exception& e) {
      log::Warn("Leader election attempt failed", {{"error", e.what()}});
    }
    if (ok) {
      SetLeader(true);
      log::Info("Successfully acquired lease", {{"lease", cfg_.lease_namespace + "/" + cfg_.lease_name},
                                                {"identity", cfg_.identity}});
      return true;
    }
    // Jittered so candidates do not retry in lockstep, but never longer than retryPeriod
    // and cut short at the observed expiry: see NextAttemptDelay.
    const double jitter = std::uniform_real_distribution<double>(0.0, 1.0)(gen);
    if (!SleepFor(stop, NextAttemptDelay(cfg_.retry_period, jitter, UntilObservedExpiry()))) break;
  }
  return false;
}

bool LeaderElector::RenewUntil(std::stop_token stop) {
  using Clock = std::chrono::steady_clock;
  // Start of the last successful attempt: the server wrote the renewal after it, so the
  // standbys' expiry clocks cannot have started earlier.
  auto last_ok = Clock::now();
  while (SleepFor(stop, cfg_.retry_period)) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(cfg_.renew_deadline - (Clock::now() - last_ok));
    if (auto ok = AttemptWithin(left); ok && *ok) {
      last_ok = attempt_started_;  // when the (possibly earlier, slow) attempt began
      continue;
    }
    if (Clock::now() - last_ok >= cfg_.renew_deadline) {
      SetLeader(false);
      log::Error("Leader election lost", {{"lease", cfg_.lease_namespace + "/" + cfg_.lease_name},
                                          {"identity", cfg_.identity}});
      return false;
    }
  }
  return true;
}

void LeaderElector::Release() {
  if (!leader_.load()) return;
  // A renewal still in flight could land after the release and hold the lease again.
  if (pending_.valid() && pending_.wait_for(cfg_.renew_deadline) == std::future_status::ready) pending_.get();
  try {
    auto lease = client_->Get(resources::kLeases, cfg_.lease_namespace, cfg_.lease_name);
    if (lease["spec"].value("holderIdentity", "") != cfg_.identity) {
      SetLeader(false);
      return;
    }
    auto now = FormatMicroTime(std::chrono::system_clock::now());
    lease["spec"]["holderIdentity"] = "";
    lease["spec"]["leaseDurationSeconds"] = 1;
    lease["spec"]["renewTime"] = now;
    lease["spec"]["acquireTime"] = now;
    client_->Update(resources::kLeases, cfg_.lease_namespace, lease);
    log::Info("Released leader lease", {{"lease", cfg_.lease_namespace + "/" + cfg_.lease_name}});
  } catch (const std::exception& e) {
    log::Warn("Failed to release lease", {{"error", e.what()}});
  }
  SetLeader(false);
}

}  // namespace tenant::kube
