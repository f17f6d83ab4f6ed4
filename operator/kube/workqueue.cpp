#include "operator/kube/workqueue.hpp"

namespace tenant::kube {
namespace {
// client-go's workqueue histograms: 1 ns .. ~10 s in factors of ten.
std::vector<double> DurationBuckets() { return metrics::ExponentialBuckets(1e-8, 10, 10); }
double Seconds(WorkQueue::Clock::duration d) { return std::chrono::duration<double>(d).count(); }
}  // namespace

WorkQueue::WorkQueue(std::string name, std::unique_ptr<RateLimiter> limiter, metrics::Registry* registry)
    : name_(std::move(name)), limiter_(std::move(limiter)) {
  if (registry) {
    depth_ = &registry->Gauge("workqueue_depth", "Current depth of workqueue", {"name"}).WithLabelValues({name_});
    adds_ = &registry->Counter("workqueue_adds_total", "Total number of adds handled by workqueue", {"name"})
                 .WithLabelValues({name_});
    retries_ = &registry->Counter("workqueue_retries_total", "Total number of retries handled by workqueue", {"name"})
                    .WithLabelValues({name_});
    queue_duration_ = &registry
                           ->Histogram("workqueue_queue_duration_seconds",
                                       "How long in seconds an item stays in workqueue before being requested",
                                       {"name"}, DurationBuckets())
                           .WithLabelValues({name_});
    work_duration_ = &registry
                          ->Histogram("workqueue_work_duration_seconds",
                                      "How long in seconds processing an item from workqueue takes", {"name"},
                                      DurationBuckets())
                          .WithLabelValues({name_});
  }
  delay_thread_ = std::thread([this] { DelayLoop(); });
}

WorkQueue::~WorkQueue() {
  ShutDown();
  if (delay_thread_.joinable()) delay_thread_.join();
}

void WorkQueue::UpdateDepthLocked() {
  if (depth_) depth_->Set(static_cast<double>(queue_.size()));
}

void WorkQueue::AddLocked(const std::string& key) {
  if (shutting_down_) return;
  if (dirty_.count(key)) return;  // already waiting: dedupe
  if (adds_) adds_->Inc();
  dirty_.insert(key);
  added_at_.emplace(key, Clock::now());
  if (processing_.count(key)) return;  // re-queued by Done
  queue_.push_back(key);
  UpdateDepthLocked();
  cv_.notify_one();
}

void WorkQueue::Add(const std::string& key) {
  std::lock_guard lock(mu_);
  AddLocked(key);
}

void WorkQueue::AddAfter(const std::string& key, std::chrono::nanoseconds delay) {
  std::lock_guard lock(mu_);
  if (shutting_down_) return;
  if (delay <= std::chrono::nanoseconds::zero()) {
    AddLocked(key);
    return;
  }
  auto ready = Clock::now() + std::chrono::duration_cast<Clock::duration>(delay);
  if (auto it = waiting_.find(key); it != waiting_.end()) {
    if (it->second <= ready) return;  // an earlier wake-up is already scheduled
    waiting_order_.erase({it->second, key});
    it->second = ready;
  } else {
    waiting_.emplace(key, ready);
  }
  waiting_order_.insert({ready, key});
  delay_cv_.notify_one();
}

void WorkQueue::AddRateLimited(const std::string& key) {
  if (retries_) retries_->Inc();
  AddAfter(key, limiter_->When(key, Clock::now()));
}

void WorkQueue::Forget(const std::string& key) { limiter_->Forget(key); }
int WorkQueue::NumRequeues(const std::string& key) { return limiter_->NumRequeues(key); }

std::optional<std::string> WorkQueue::Get() {
  std::unique_lock lock(mu_);
  cv_.wait(lock, [&] { return !queue_.empty() || shutting_down_; });
  if (queue_.empty()) return std::nullopt;
  std::string key = std::move(queue_.front());
  queue_.pop_front();
  UpdateDepthLocked();
  const auto now = Clock::now();
  if (auto it = added_at_.find(key); it != added_at_.end()) {
    if (queue_duration_) queue_duration_->Observe(Seconds(now - it->second));
    added_at_.erase(it);
  }
  started_at_[key] = now;
  processing_.insert(key);
  dirty_.erase(key);
  return key;
}

void WorkQueue::Done(const std::string& key) {
  std::lock_guard lock(mu_);
  if (auto it = started_at_.find(key); it != started_at_.end()) {
    if (work_duration_) work_duration_->Observe(Seconds(Clock::now() - it->second));
    started_at_.erase(it);
  }
  processing_.erase(key);
  if (dirty_.count(key)) {  // added while processing: hand it out again now
    queue_.push_back(key);
    UpdateDepthLocked();
    cv_.notify_one();
  }
}

void WorkQueue::ShutDown() {
  std::lock_guard lock(mu_);
  shutting_down_ = true;
  cv_.notify_all();
  delay_cv_.notify_all();
}

bool WorkQueue::ShuttingDown() const {
  std::lock_guard lock(mu_);
  return shutting_down_;
}

std::size_t WorkQueue::Len() const {
  std::lock_guard lock(mu_);
  return queue_.size();
}

std::size_t WorkQueue::DelayedLen() const {
  std::lock_guard lock(mu_);
  return waiting_.size();
}

void WorkQueue::DelayLoop() {
  std::unique_lock lock(mu_);
  while (!shutting_down_) {
    if (waiting_order_.empty()) {
      delay_cv_.wait(lock);
      continue;
    }
    auto next = waiting_order_.begin()->first;
    if (Clock::now() < next) {
      delay_cv_.wait_until(lock, next);
      continue;
    }
    auto [when, key] = *waiting_order_.begin();
    waiting_order_.erase(waiting_order_.begin());
    waiting_.erase(key);
    AddLocked(key);
  }
}

}  // namespace tenant::kube
