#include "operator/kube/leader_election.hpp"

#include <unistd.h>

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
  const bool expired = now - observed_at_ >= std::chrono::seconds(held_for);
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
    return true;
  } catch (const ApiError&) {
    return false;  // 409: another candidate updated it first
  }
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
    // Poll every retryPeriod plus up to 20% jitter (candidates do not retry in lockstep,
    // and a standby notices an expired lease within about one retryPeriod).
    double f = std::uniform_real_distribution<double>(1.0, 1.2)(gen);
    if (!SleepFor(stop, std::chrono::milliseconds(static_cast<long long>(cfg_.retry_period.count() * f)))) break;
  }
  return false;
}

bool LeaderElector::RenewUntil(std::stop_token stop) {
  auto last_ok = std::chrono::steady_clock::now();
  while (SleepFor(stop, cfg_.retry_period)) {
    bool ok = false;
    try {
      ok = TryAcquireOrRenew();
    } catch (const std::exception& e) {
      log::Warn("Failed to renew lease", {{"error", e.what()}});
    }
    if (ok) {
      last_ok = std::chrono::steady_clock::now();
      continue;
    }
    if (std::chrono::steady_clock::now() - last_ok >= cfg_.renew_deadline) {
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
