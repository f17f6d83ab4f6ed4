#include "runtime/ratelimit/gcra.hpp"

#include <algorithm>
#include <chrono>

namespace tenant::api::ratelimit {

std::int64_t EmissionIntervalMs(const Quota& q) {
  return std::max<std::int64_t>(1, q.period.count() / std::max<std::int64_t>(1, q.limit));
}

GcraStep GcraCheck(std::int64_t now_ms, std::int64_t tat_ms, const Quota& quota) {
  const std::int64_t interval = EmissionIntervalMs(quota);
  const std::int64_t tolerance = interval * std::max<std::int64_t>(1, quota.burst);
  std::int64_t tat = std::max(tat_ms, now_ms);
  GcraStep s;
  const std::int64_t new_tat = tat + interval;
  const std::int64_t allow_at = new_tat - tolerance;
  if (allow_at > now_ms) {
    s.allowed = false;
    s.new_tat_ms = tat;
    s.remaining = 0;
    s.reset_ms = tat - now_ms;
    s.retry_after_ms = allow_at - now_ms;
    return s;
  }
  s.allowed = true;
  s.new_tat_ms = new_tat;
  s.remaining = (now_ms + tolerance - new_tat) / interval;
  s.reset_ms = new_tat - now_ms;
  return s;
}

namespace {
std::int64_t CeilSeconds(std::int64_t ms) { return ms <= 0 ? 0 : (ms + 999) / 1000; }
}  // namespace

Decision ToDecision(const GcraStep& step, const Quota& quota) {
  Decision d;
  d.allowed = step.allowed;
  d.limit = quota.burst;
  d.remaining = std::max<std::int64_t>(0, step.remaining);
  d.reset_seconds = CeilSeconds(step.reset_ms);
  d.retry_after_seconds = step.allowed ? 0 : std::max<std::int64_t>(1, CeilSeconds(step.retry_after_ms));
  return d;
}

Decision LocalLimiter::Check(std::string_view key, const Quota& quota) {
  auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                 std::chrono::steady_clock::now().time_since_epoch())
                 .count();
  return CheckAt(now, key, quota);
}

Decision LocalLimiter::CheckAt(std::int64_t now_ms, std::string_view key, const Quota& quota) {
  std::lock_guard lock(mu_);
  std::string k(key);
  auto it = tat_.find(k);
  GcraStep step = GcraCheck(now_ms, it == tat_.end() ? -1 : it->second, quota);
  if (step.allowed) {
    if (it == tat_.end()) {
      if (tat_.size() >= max_keys_) PruneLocked(now_ms);
      tat_.emplace(std::move(k), step.new_tat_ms);
    } else {
      it->second = step.new_tat_ms;
    }
  }
  Decision d = ToDecision(step, quota);
  d.from_fallback = true;
  return d;
}

void LocalLimiter::PruneLocked(std::int64_t now_ms) {
  // Entries whose TAT is in the past carry no state (a fresh key behaves the same).
  for (auto it = tat_.begin(); it != tat_.end();) {
    it = it->second <= now_ms ? tat_.erase(it) : std::next(it);
  }
  if (tat_.size() >= max_keys_) tat_.clear();  // bounded memory beats precision under attack
}

std::size_t LocalLimiter::size() const {
  std::lock_guard lock(mu_);
  return tat_.size();
}

}  // namespace tenant::api::ratelimit
