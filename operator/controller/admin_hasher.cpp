#include "operator/controller/admin_hasher.hpp"

#include <algorithm>
#include <stdexcept>

#include "common/log/log.hpp"

namespace tenant::controller {

AdminHasher::AdminHasher(int threads, std::function<void(const std::string& key)> on_ready)
    : on_ready_(std::move(on_ready)) {
  for (int i = 0; i < threads; ++i) {
    threads_.emplace_back([this](std::stop_token stop) { Run(stop); });
  }
}

AdminHasher::~AdminHasher() {
  for (auto& t : threads_) t.request_stop();
  cv_.notify_all();
  threads_.clear();  // joins
}

namespace {
AdminHasher::Outcome Prepare(const std::string& username, const std::string& password, unsigned cost) {
  AdminHasher::Outcome out;
  try {
    out.user = auth::PrepareUser(username, password, "admin", cost);
  } catch (const std::exception& e) {
    out.error = e.what();  // validation messages never contain the password
  }
  return out;
}
}  // namespace

AdminHasher::Outcome AdminHasher::Get(const std::string& key, const std::string& username,
                                      const std::string& password, unsigned cost) {
  if (threads_.empty()) return Prepare(username, password, cost);
  std::lock_guard lock(mu_);
  auto it = jobs_.find(key);
  if (it != jobs_.end() && it->second.username == username && it->second.password == password) {
    return it->second.done ? it->second.outcome : Outcome{};
  }
  const bool queued = it != jobs_.end() && !it->second.done &&
                      std::find(queue_.begin(), queue_.end(), key) != queue_.end();
  jobs_[key] = Job{username, password, cost, std::chrono::steady_clock::now(), false, {}};
  if (!queued) queue_.push_back(key);
  cv_.notify_one();
  return {};
}

void AdminHasher::Forget(const std::string& key) {
  std::lock_guard lock(mu_);
  jobs_.erase(key);
  queue_.erase(std::remove(queue_.begin(), queue_.end(), key), queue_.end());
}

std::size_t AdminHasher::Pending() const {
  std::lock_guard lock(mu_);
  return static_cast<std::size_t>(std::count_if(jobs_.begin(), jobs_.end(), [](const auto& j) { return !j.second.done; }));
}

void AdminHasher::Run(std::stop_token stop) {
  for (;;) {
    std::string key, username, password;
    unsigned cost = 0;
    std::chrono::steady_clock::time_point queued;
    {
      std::unique_lock lock(mu_);
      if (!cv_.wait(lock, stop, [this] { return !queue_.empty(); })) return;
      key = queue_.front();
      queue_.pop_front();
      const Job& job = jobs_.at(key);
      username = job.username;
      password = job.password;
      cost = job.cost;
      queued = job.queued;
    }
    const auto started = std::chrono::steady_clock::now();
    Outcome out = Prepare(username, password, cost);
    if (log::Enabled(log::Level::kDebug)) {
      auto ms = [](std::chrono::steady_clock::duration d) {
        return std::chrono::duration_cast<std::chrono::microseconds>(d).count() / 1000.0;
      };
      log::Debug("Hashed first admin password", {{"tenant", key}, {"cost", cost}, {"waited_ms", ms(started - queued)},
                                                 {"hash_ms", ms(std::chrono::steady_clock::now() - started)}});
    }
    {
      std::lock_guard lock(mu_);
      auto it = jobs_.find(key);
      // Replaced or forgotten meanwhile: the newer job is queued on its own.
      if (it == jobs_.end() || it->second.username != username || it->second.password != password) continue;
      it->second.done = true;
      it->second.outcome = std::move(out);
    }
    if (on_ready_) {
      try {
        on_ready_(key);
      } catch (const std::exception& e) {
        log::Warn("Could not re-queue tenant after hashing", {{"tenant", key}, {"error", e.what()}});
      }
    }
  }
}

}  // namespace tenant::controller
