#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace tenant::kube {

// Work-queue rate limiters (client-go workqueue.DefaultControllerRateLimiter): the delay
// before a failed key is retried. Time is passed in so the numbers are unit-testable.
class RateLimiter {
 public:
  using Clock = std::chrono::steady_clock;
  virtual ~RateLimiter() = default;
  virtual std::chrono::nanoseconds When(const std::string& key, Clock::time_point now) = 0;
  virtual void Forget(const std::string& key) = 0;
  virtual int NumRequeues(const std::string& key) = 0;
};

// base * 2^failures, capped (5 ms .. 1000 s by default).
class ItemExponentialRateLimiter final : public RateLimiter {
 public:
  ItemExponentialRateLimiter(std::chrono::nanoseconds base = std::chrono::milliseconds(5),
                             std::chrono::nanoseconds max = std::chrono::seconds(1000));
  std::chrono::nanoseconds When(const std::string& key, Clock::time_point now) override;
  void Forget(const std::string& key) override;
  int NumRequeues(const std::string& key) override;

 private:
  std::mutex mu_;
  std::map<std::string, int> failures_;
  std::chrono::nanoseconds base_, max_;
};

// Overall token bucket (qps, burst): each When reserves a token and returns how long
// until it is available. Shared by all keys.
class BucketRateLimiter final : public RateLimiter {
 public:
  BucketRateLimiter(double qps = 10, int burst = 100);
  std::chrono::nanoseconds When(const std::string& key, Clock::time_point now) override;
  void Forget(const std::string&) override {}
  int NumRequeues(const std::string&) override { return 0; }

 private:
  std::mutex mu_;
  double qps_;
  double burst_;
  double tokens_;
  bool started_ = false;
  Clock::time_point last_{};
};

// The maximum of several limiters (client-go MaxOfRateLimiter).
class MaxOfRateLimiter final : public RateLimiter {
 public:
  explicit MaxOfRateLimiter(std::vector<std::unique_ptr<RateLimiter>> limiters);
  std::chrono::nanoseconds When(const std::string& key, Clock::time_point now) override;
  void Forget(const std::string& key) override;
  int NumRequeues(const std::string& key) override;

 private:
  std::vector<std::unique_ptr<RateLimiter>> limiters_;
};

// Per key 5 ms * 2^n capped at 1000 s, max'ed with a 10 qps / burst 100 bucket.
std::unique_ptr<RateLimiter> DefaultControllerRateLimiter();

}  // namespace tenant::kube
