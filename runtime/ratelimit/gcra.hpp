#pragma once
// GCRA (generic cell rate algorithm) arithmetic, shared by the Redis Lua script (same
// formulas) and the in-process fallback limiter. Pure.
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "runtime/ratelimit/limiter.hpp"

namespace tenant::api::ratelimit {

struct GcraStep {
  bool allowed = false;
  std::int64_t new_tat_ms = 0;  // theoretical arrival time to store (unchanged when rejected)
  std::int64_t remaining = 0;
  std::int64_t reset_ms = 0;        // until the bucket is full again
  std::int64_t retry_after_ms = 0;  // when rejected: until one more request fits
};

// interval = period / limit; tolerance = interval * burst. `tat_ms` < 0 = no state yet.
GcraStep GcraCheck(std::int64_t now_ms, std::int64_t tat_ms, const Quota& quota);
std::int64_t EmissionIntervalMs(const Quota& quota);

// Decision with header values (seconds, rounded up) from a step.
Decision ToDecision(const GcraStep& step, const Quota& quota);

// In-process GCRA; the fallback when Redis is unavailable, and usable alone. Thread-safe.
class LocalLimiter final : public Limiter {
 public:
  explicit LocalLimiter(std::size_t max_keys = 100'000) : max_keys_(max_keys) {}
  Decision Check(std::string_view key, const Quota& quota) override;
  Decision CheckAt(std::int64_t now_ms, std::string_view key, const Quota& quota);
  std::size_t size() const;

 private:
  void PruneLocked(std::int64_t now_ms);
  mutable std::mutex mu_;
  std::unordered_map<std::string, std::int64_t> tat_;
  std::size_t max_keys_;
};

}  // namespace tenant::api::ratelimit
