#pragma once
// bcrypt (cost 12, ~250 ms of CPU) for the first admin user of each tenant, computed on
// background threads instead of a reconcile worker: the workers keep provisioning other
// tenants (databases, Secrets, Deployments) while hashes are made, and a tenant waiting
// for its hash is re-queued through `on_ready` the moment it exists. The threads run at
// normal priority: measured on a loaded machine, nice 10 starved them (the hashes are on
// the critical path to Ready: 200 tenants = 50 CPU seconds of bcrypt).
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
  AdminHasher(unsigned cost, int threads, std::function<void(const std::string& key)> on_ready);
  ~AdminHasher();
  AdminHasher(const AdminHasher&) = delete;
  AdminHasher& operator=(const AdminHasher&) = delete;

  struct Outcome {
    std::optional<auth::PreparedUser> user;  // set when ready
    std::string error;                       // set when preparing failed (invalid input)
  };
  // The prepared user for (key, username, password) when done; otherwise queues the job
  // (once; a different username/password replaces a queued or finished one) and returns
  // an empty Outcome.
  Outcome Get(const std::string& key, const std::string& username, const std::string& password);
  // Drops whatever is kept for `key` (the user was inserted, or the tenant is gone).
  void Forget(const std::string& key);
  // Jobs waiting or running (for tests and metrics).
  std::size_t Pending() const;

 private:
  struct Job {
    std::string username;
    std::string password;
    bool done = false;
    Outcome outcome;
  };
  void Run(std::stop_token stop);

  unsigned cost_;
  std::function<void(const std::string&)> on_ready_;
  mutable std::mutex mu_;
  std::condition_variable_any cv_;
  std::map<std::string, Job> jobs_;  // by key
  std::deque<std::string> queue_;    // keys of jobs not started, FIFO
  std::vector<std::jthread> threads_;
};

}  // namespace tenant::controller
