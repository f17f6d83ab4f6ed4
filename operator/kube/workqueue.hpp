#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <unordered_map>
#include <unordered_set>

#include "common/metrics/metrics.hpp"
#include "operator/kube/rate_limiter.hpp"

namespace tenant::kube {

// client-go's rate-limited delaying work queue:
//  - FIFO of keys, deduplicated while waiting (the "dirty" set);
//  - a key being processed (between Get and Done) is never handed out again; if it is
//    added meanwhile it is queued again when Done is called;
//  - AddAfter holds a key until its time (earliest wins when added twice);
//  - AddRateLimited = AddAfter(limiter.When(key)); Forget clears the key's failures.
// Metrics (label `name`): workqueue_depth, workqueue_adds_total,
// workqueue_queue_duration_seconds, workqueue_work_duration_seconds, workqueue_retries_total.
class WorkQueue {
 public:
  using Clock = std::chrono::steady_clock;

  WorkQueue(std::string name, std::unique_ptr<RateLimiter> limiter, metrics::Registry* registry = nullptr);
  ~WorkQueue();
  WorkQueue(const WorkQueue&) = delete;
  WorkQueue& operator=(const WorkQueue&) = delete;

  void Add(const std::string& key);
  void AddAfter(const std::string& key, std::chrono::nanoseconds delay);
  void AddRateLimited(const std::string& key);
  void Forget(const std::string& key);
  int NumRequeues(const std::string& key);

  // Blocks until a key is available; nullopt once shut down (and, when draining, empty).
  std::optional<std::string> Get();
  void Done(const std::string& key);

  // Stops accepting keys; Get returns nullopt immediately for waiting workers.
  void ShutDown();
  bool ShuttingDown() const;
  std::size_t Len() const;            // keys waiting (not processing, not delayed)
  std::size_t DelayedLen() const;

 private:
  void AddLocked(const std::string& key);
  void DelayLoop();
  void UpdateDepthLocked();

  const std::string name_;
  std::unique_ptr<RateLimiter> limiter_;

  mutable std::mutex mu_;
  std::condition_variable cv_;         // workers waiting for keys
  std::condition_variable delay_cv_;   // the delay thread
  std::deque<std::string> queue_;
  std::unordered_set<std::string> dirty_;
  std::unordered_set<std::string> processing_;
  std::unordered_map<std::string, Clock::time_point> added_at_;    // for queue duration
  std::unordered_map<std::string, Clock::time_point> started_at_;  // for work duration
  std::map<std::string, Clock::time_point> waiting_;               // delayed: key -> ready time
  std::set<std::pair<Clock::time_point, std::string>> waiting_order_;
  bool shutting_down_ = false;

  metrics::Gauge* depth_ = nullptr;
  metrics::Counter* adds_ = nullptr;
  metrics::Counter* retries_ = nullptr;
  metrics::Histogram* queue_duration_ = nullptr;
  metrics::Histogram* work_duration_ = nullptr;

  std::thread delay_thread_;
};

}  // namespace tenant::kube
