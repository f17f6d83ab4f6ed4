#include "operator/kube/rate_limiter.hpp"

#include <algorithm>
#include <cmath>

namespace tenant::kube {

ItemExponentialRateLimiter::ItemExponentialRateLimiter(std::chrono::nanoseconds base, std::chrono::nanoseconds max)
    : base_(base), max_(max) {}

std::chrono::nanoseconds ItemExponentialRateLimiter::When(const std::string& key, Clock::time_point) {
  std::lock_guard lock(mu_);
  const int exp = failures_[key]++;
  // Computed in floating point so large exponents saturate at max instead of overflowing.
  const double backoff = static_cast<double>(base_.count()) * std::pow(2.0, exp);
  if (backoff >= static_cast<double>(max_.count())) return max_;
  return std::chrono::nanoseconds(static_cast<long long>(backoff));
}

void ItemExponentialRateLimiter::Forget(const std::string& key) {
  std::lock_guard lock(mu_);
  failures_.erase(key);
}

int ItemExponentialRateLimiter::NumRequeues(const std::string& key) {
  std::lock_guard lock(mu_);
  auto it = failures_.find(key);
  return it == failures_.end() ? 0 : it->second;
}

BucketRateLimiter::BucketRateLimiter(double qps, int burst) : qps_(qps), burst_(burst), tokens_(burst) {}

std::chrono::nanoseconds BucketRateLimiter::When(const std::string&, Clock::time_point now) {
  std::lock_guard lock(mu_);
  if (started_ && now > last_) {
    tokens_ = std::min(burst_, tokens_ + std::chrono::duration<double>(now - last_).count() * qps_);
  }
  if (!started_ || now > last_) last_ = now;
  started_ = true;
  tokens_ -= 1.0;  // reserve: may go negative, later callers wait longer (like rate.Limiter.Reserve)
  if (tokens_ >= 0) return std::chrono::nanoseconds(0);
  return std::chrono::nanoseconds(static_cast<long long>(-tokens_ / qps_ * 1e9));
}

MaxOfRateLimiter::MaxOfRateLimiter(std::vector<std::unique_ptr<RateLimiter>> limiters)
    : limiters_(std::move(limiters)) {}

std::chrono::nanoseconds MaxOfRateLimiter::When(const std::string& key, Clock::time_point now) {
  std::chrono::nanoseconds worst{0};
  for (auto& l : limiters_) worst = std::max(worst, l->When(key, now));
  return worst;
}

void MaxOfRateLimiter::Forget(const std::string& key) {
  for (auto& l : limiters_) l->Forget(key);
}

int MaxOfRateLimiter::NumRequeues(const std::string& key) {
  int n = 0;
  for (auto& l : limiters_) n = std::max(n, l->NumRequeues(key));
  return n;
}

std::unique_ptr<RateLimiter> DefaultControllerRateLimiter() {
  std::vector<std::unique_ptr<RateLimiter>> v;
  v.push_back(std::make_unique<ItemExponentialRateLimiter>());
  v.push_back(std::make_unique<BucketRateLimiter>(10.0, 100));
  return std::make_unique<MaxOfRateLimiter>(std::move(v));
}

}  // namespace tenant::kube
