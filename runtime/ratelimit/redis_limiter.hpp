#pragma once
// GCRA in Redis via one Lua script (EVALSHA, EVAL on NOSCRIPT): read TAT, decide, write TAT
// with an expiry — atomic on the server, so replicas of tenant-api share one budget.
// CheckAsync (every server request) goes through a pipelined connection (RedisPipeline):
// one per server I/O thread once BindIoContexts was called, so the check is written and
// answered on the thread that asked, else one on its own thread; Check (login, tests) uses
// a small pool of blocking connections.
// Every Redis call has a short timeout (default 50 ms). On failure the check is answered
// by the fallback limiter (fail-open) or refused (fail-closed), the failure is counted in
// rate_limit_backend_errors_total{reason} and logged once per outage, and Redis is retried
// with exponential backoff (100 ms doubling to 5 s, jittered) instead of on every request.
#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "common/metrics/metrics.hpp"
#include "runtime/config/redis_url.hpp"
#include "runtime/ratelimit/gcra.hpp"
#include "runtime/ratelimit/limiter.hpp"
#include "runtime/ratelimit/redis_pipeline.hpp"

struct redisContext;

namespace tenant::api::ratelimit {

struct RedisOptions {
  config::RedisUrl url;
  std::chrono::milliseconds timeout{50};
  std::string key_prefix = "rl:";  // e.g. "rl:<tenant>:"
  bool fail_open = true;
  std::chrono::milliseconds min_backoff{100};
  std::chrono::milliseconds max_backoff{5000};
};

class RedisLimiter final : public Limiter {
 public:
  RedisLimiter(RedisOptions options, metrics::Registry& registry);
  ~RedisLimiter() override;

  Decision Check(std::string_view key, const Quota& quota) override;
  void CheckAsync(std::string_view key, const Quota& quota, DecisionCallback done) override;

  // Gives each of these contexts (each run by one server I/O thread) its own pipelined
  // connection: CheckAsync called on such a thread then stays on it. Call before the
  // contexts run; Stop() must come after they stopped and before they are destroyed.
  void BindIoContexts(const std::vector<boost::asio::io_context*>& contexts);

  // Ends the pipelined connections: outstanding checks are answered by the fallback before
  // it returns, later ones go straight to it. Called when the server has stopped, so no
  // callback can reach a destroyed server afterwards.
  void Stop();

  // For /health/ready: PING within the timeout. Never throws.
  bool Ping(std::chrono::milliseconds timeout);
  bool healthy() const { return healthy_.load(); }

  // The script (exposed for tests).
  static const char* Script();

 private:
  struct ContextDeleter {
    void operator()(redisContext* c) const noexcept;
  };
  using ContextPtr = std::unique_ptr<redisContext, ContextDeleter>;

  ContextPtr Acquire(std::string* error);
  void Release(ContextPtr ctx);
  ContextPtr Connect(std::chrono::milliseconds timeout, std::string* error);
  // `probe`: the call was Redis' one retry of this backoff period (or made while healthy);
  // only such failures lengthen the backoff, not every command of a failed batch.
  void MarkFailed(const std::string& reason, const std::string& detail, bool probe = true);
  void MarkHealthy();
  Decision Fallback(std::string_view key, const Quota& quota);
  // nullopt: use the fallback now (inside the backoff window). Else whether this call is
  // the backoff period's probe.
  std::optional<bool> ShouldTryRedis();
  void SendCheck(std::string key, Quota quota, DecisionCallback done, bool by_sha, bool probe);

  RedisOptions options_;
  std::string script_sha_;
  LocalLimiter fallback_;
  std::mutex pool_mu_;
  std::vector<ContextPtr> idle_;
  std::atomic<bool> healthy_{true};
  std::atomic<std::int64_t> next_attempt_ms_{0};
  std::atomic<std::int64_t> backoff_ms_{0};
  metrics::CounterFamily& errors_;
  metrics::Gauge& up_;
  metrics::Counter& fallback_decisions_;
  // The pipeline of the calling thread: its bound one, else the one with its own thread.
  RedisPipeline& PipelineForThisThread();

  // Last members: destroyed first, so no pipeline callback outlives the state above.
  std::unique_ptr<RedisPipeline> pipeline_;
  std::vector<std::unique_ptr<RedisPipeline>> bound_;  // set before serving, then read-only
};

}  // namespace tenant::api::ratelimit
