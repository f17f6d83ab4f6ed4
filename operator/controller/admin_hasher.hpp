#pragma once
// bcrypt for the first admin user of each tenant (cost 12 = ~250 ms of CPU, or the lower
// cost the reconciler picks for a password it generated itself), computed on background
// threads instead of a reconcile worker: the workers keep provisioning other
// tenants (databases, Secrets, Deployments) while hashes are made, and a tenant waiting
// for its hash is re-queued through `on_ready` the moment it exists. The threads run at
// normal priority: measured on a loaded machine, nice 10 starved them (the hashes are on
// the critical path to Ready: 200 tenants = 50 CPU seconds of bcrypt at cost 12).
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

#include "common/auth/seed_user.hpp"

namespace tenant::controller {

class AdminHasher {
 public:
  // `threads` background threads (0: Get hashes inline, for unit tests);
  // `on_ready(key)` is called from them when the user for `key` has been prepared (or
  // failed).
  AdminHasher(int threads, std::function<void(const std::string& key)> on_ready);
  ~AdminHasher();
  AdminHasher(const AdminHasher&) = delete;
  AdminHasher& operator=(const AdminHasher&) = delete;

  struct Outcome {
    std::optional<auth::PreparedUser> user;  // set when ready
    std::string error;                       // set when preparing failed (invalid input)
  };
  // The prepared user for (key, username, password) when done; otherwise queues the job
  // hashing at bcrypt `cost` (once; a different username/password replaces a queued or
  // finished one, a different cost alone does not) and returns an empty Outcome.
  Outcome Get(const std::string& key, const std::string& username, const std::string& password, unsigned cost);
  // Drops whatever is kept for `key` (the user was inserted, or the tenant is gone).
  void Forget(const std::string& key);
  // Jobs waiting or running (for tests and metrics).
  std::size_t Pending() const;

 private:
  struct Job {
    std::string username;
    std::string password;
    unsigned cost = 12;
    std::chrono::steady_clock::time_point queued;  // for the debug line when done
    bool done = false;
    Outcome outcome;
  };
  void Run(std::stop_token stop);

  std::function<void(const std::string&)> on_ready_;
  mutable std::mutex mu_;
  std::condition_variable_any cv_;
  std::map<std::string, Job> jobs_;  // by key
  std::deque<std::string> queue_;    // keys of jobs not started, FIFO
  std::vector<std::jthread> threads_;
};

}  // namespace tenant::controller
