#pragma once

#include <chrono>
#include <functional>

namespace tenant::kube {

// Reconnect backoff of the reflector (client-go's ExponentialBackoffManager as used by
// NewReflector): 800 ms doubling up to 30 s, plus up to 100% random jitter, and reset to
// the initial value after 2 minutes without a failure. Pure; time and randomness injected.
struct BackoffParams {
  std::chrono::milliseconds initial{800};
  std::chrono::milliseconds max{30000};
  double factor = 2.0;
  double jitter = 1.0;  // delay = base + rand[0,1) * jitter * base
  std::chrono::milliseconds reset_after{120000};
};

class Backoff {
 public:
  using Clock = std::chrono::steady_clock;
  using Params = BackoffParams;

  explicit Backoff(Params p = Params{}, std::function<double()> rand01 = {});
  // The delay to wait after a failure observed at `now`.
  std::chrono::milliseconds Next(Clock::time_point now);
  // The un-jittered base the next failure would use (for tests/logs).
  std::chrono::milliseconds base() const { return base_; }

 private:
  Params p_;
  std::function<double()> rand01_;
  std::chrono::milliseconds base_;
  bool has_last_ = false;
  Clock::time_point last_failure_{};
};

}  // namespace tenant::kube
