#include "runtime/ratelimit/redis_limiter.hpp"

#include <hiredis.h>

#include <random>

#include "common/log/log.hpp"
#include "runtime/server/request_log.hpp"
#include <openssl/sha.h>

namespace tenant::api::ratelimit {

namespace {

// KEYS[1] = bucket key; ARGV = emission interval ms, tolerance ms.
// Returns {allowed(0/1), remaining, reset_ms, retry_after_ms}. Uses the server clock so all
// replicas agree; the key expires when the bucket would be full again.
constexpr const char* kScript = R"lua(
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local interval = tonumber(ARGV[1])
local tolerance = tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
local new_tat = tat + interval
local allow_at = new_tat - tolerance
if allow_at > now then
  return {0, 0, tat - now, allow_at - now}
end
redis.call('SET', KEYS[1], new_tat, 'PX', new_tat - now)
return {1, math.floor((now + tolerance - new_tat) / interval), new_tat - now, 0}
)lua";

// hiredis reports a read timeout as an I/O error with EAGAIN's text.
std::string FailureReason(const redisContext* c) {
  if (c == nullptr) return "connection";
  std::string_view e = c->errstr;
  if (e.find("temporarily unavailable") != std::string_view::npos || e.find("timed out") != std::string_view::npos ||
      e.find("Timeout") != std::string_view::npos) {
    return "timeout";
  }
  return "connection";
}

std::int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

struct ReplyDeleter {
  void operator()(redisReply* r) const noexcept { freeReplyObject(r); }
};
using ReplyPtr = std::unique_ptr<redisReply, ReplyDeleter>;

timeval ToTimeval(std::chrono::milliseconds ms) {
  timeval tv{};
  tv.tv_sec = ms.count() / 1000;
  tv.tv_usec = (ms.count() % 1000) * 1000;
  return tv;
}

// EVALSHA needs the script's SHA-1 (Redis' choice, not ours for security).
std::string Sha1Hex(std::string_view data) {
  unsigned char digest[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char b : digest) {
    out.push_back(kHex[b >> 4]);
    out.push_back(kHex[b & 0xF]);
  }
  return out;
}

}  // namespace

void RedisLimiter::ContextDeleter::operator()(redisContext* c) const noexcept { redisFree(c); }

const char* RedisLimiter::Script() { return kScript; }

RedisLimiter::RedisLimiter(RedisOptions options, metrics::Registry& registry)
    : options_(std::move(options)),
      script_sha_(Sha1Hex(kScript)),
      errors_(registry.Counter("rate_limit_backend_errors_total",
                               "Rate-limit checks where Redis failed or was too slow.", {"reason"})),
      up_(registry.Gauge("rate_limit_backend_up", "1 while Redis answers rate-limit checks, 0 while the fallback limiter is used.").Get()),
      fallback_decisions_(registry.Counter("rate_limit_fallback_decisions_total",
                                           "Rate-limit checks answered without Redis.").Get()) {
  up_.Set(1);
  pipeline_ = std::make_unique<RedisPipeline>(options_.url, options_.timeout);
}

RedisLimiter::~RedisLimiter() { Stop(); }

void RedisLimiter::BindIoContexts(const std::vector<boost::asio::io_context*>& contexts) {
  for (auto* c : contexts) bound_.push_back(std::make_unique<RedisPipeline>(options_.url, options_.timeout, *c));
}

void RedisLimiter::Stop() {
  for (auto& p : bound_) p->Stop();
  pipeline_->Stop();
}

RedisPipeline& RedisLimiter::PipelineForThisThread() {
  for (auto& p : bound_) {
    if (p->RunsInThisThread()) return *p;
  }
  return *pipeline_;
}

RedisLimiter::ContextPtr RedisLimiter::Connect(std::chrono::milliseconds timeout, std::string* error) {
  timeval tv = ToTimeval(timeout);
  ContextPtr ctx(redisConnectWithTimeout(options_.url.host.c_str(), options_.url.port, tv));
  if (!ctx) {
    *error = "connection: out of memory";
    return nullptr;
  }
  if (ctx->err) {
    *error = FailureReason(ctx.get()) + ": " + ctx->errstr;
    return nullptr;
  }
  redisSetTimeout(ctx.get(), tv);
  if (!options_.url.password.empty()) {
    ReplyPtr r;
    if (options_.url.username.empty()) {
      r.reset(static_cast<redisReply*>(redisCommand(ctx.get(), "AUTH %b", options_.url.password.data(),
                                                    options_.url.password.size())));
    } else {
      r.reset(static_cast<redisReply*>(redisCommand(ctx.get(), "AUTH %b %b", options_.url.username.data(),
                                                    options_.url.username.size(),
                                                    options_.url.password.data(),
                                                    options_.url.password.size())));
    }
    if (!r) {
      *error = FailureReason(ctx.get()) + ": " + ctx->errstr;
      return nullptr;
    }
    if (r->type == REDIS_REPLY_ERROR) {
      *error = "auth: authentication failed";  // never echo the password
      return nullptr;
    }
  }
  if (options_.url.db != 0) {
    ReplyPtr r(static_cast<redisReply*>(redisCommand(ctx.get(), "SELECT %d", options_.url.db)));
    if (!r || r->type == REDIS_REPLY_ERROR) {
      *error = (r ? std::string("error") : FailureReason(ctx.get())) + ": SELECT failed";
      return nullptr;
    }
  }
  return ctx;
}

RedisLimiter::ContextPtr RedisLimiter::Acquire(std::string* error) {
  {
    std::lock_guard lock(pool_mu_);
    if (!idle_.empty()) {
      ContextPtr c = std::move(idle_.back());
      idle_.pop_back();
      return c;
    }
  }
  return Connect(options_.timeout, error);
}

void RedisLimiter::Release(ContextPtr ctx) {
  if (!ctx || ctx->err) return;
  std::lock_guard lock(pool_mu_);
  if (idle_.size() < 64) idle_.push_back(std::move(ctx));
}

void RedisLimiter::MarkFailed(const std::string& reason, const std::string& detail, bool probe) {
  errors_.WithLabelValues({reason}).Inc();
  const bool was_healthy = healthy_.exchange(false);
  std::int64_t backoff = backoff_ms_.load();
  if (was_healthy || probe) {
    backoff = backoff == 0 ? options_.min_backoff.count() : std::min<std::int64_t>(backoff * 2, options_.max_backoff.count());
    backoff_ms_.store(backoff);
    thread_local std::mt19937 rng{std::random_device{}()};
    std::int64_t jitter = std::uniform_int_distribution<std::int64_t>(0, backoff / 4)(rng);
    next_attempt_ms_.store(NowMs() + backoff + jitter);
  }
  if (was_healthy) {
    {
      std::lock_guard lock(pool_mu_);
      idle_.clear();  // the other connections are most likely dead too
    }
    up_.Set(0);
    server::request_log::Warn("Redis unavailable for rate limiting; using the fallback limiter",
              {{"reason", reason}, {"error", detail}, {"fail_mode", options_.fail_open ? "open" : "closed"},
               {"retry_in_ms", backoff}});
  }
}

void RedisLimiter::MarkHealthy() {
  backoff_ms_.store(0);
  if (!healthy_.exchange(true)) {
    up_.Set(1);
    server::request_log::Info("Redis available again for rate limiting", {});
  }
}

Decision RedisLimiter::Fallback(std::string_view key, const Quota& quota) {
  fallback_decisions_.Inc();
  if (!options_.fail_open) {
    Decision d;
    d.allowed = false;
    d.backend_failed_closed = true;
    d.limit = quota.burst;
    d.retry_after_seconds = std::max<std::int64_t>(1, (backoff_ms_.load() + 999) / 1000);
    return d;
  }
  return fallback_.Check(key, quota);
}

std::optional<bool> RedisLimiter::ShouldTryRedis() {
  if (healthy_.load()) return false;
  // One caller per backoff period probes Redis; everybody else uses the fallback.
  std::int64_t due = next_attempt_ms_.load();
  if (NowMs() < due || !next_attempt_ms_.compare_exchange_strong(due, NowMs() + options_.max_backoff.count())) {
    return std::nullopt;
  }
  return true;
}

namespace {

// The script's reply {allowed, remaining, reset_ms, retry_after_ms} as a decision; false
// for any other shape.
bool ParseScriptReply(const redisReply* reply, const Quota& quota, Decision* out) {
  if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 4) return false;
  for (std::size_t i = 0; i < 4; ++i) {
    if (reply->element[i]->type != REDIS_REPLY_INTEGER) return false;
  }
  GcraStep step;
  step.allowed = reply->element[0]->integer == 1;
  step.remaining = reply->element[1]->integer;
  step.reset_ms = reply->element[2]->integer;
  step.retry_after_ms = reply->element[3]->integer;
  *out = ToDecision(step, quota);
  return true;
}

std::string ReplyError(const redisReply* reply) {
  return reply->type == REDIS_REPLY_ERROR ? std::string(reply->str, reply->len) : "unexpected reply";
}

}  // namespace

void RedisLimiter::CheckAsync(std::string_view key, const Quota& quota, DecisionCallback done) {
  auto probe = ShouldTryRedis();
  if (!probe) {
    done(Fallback(key, quota));
    return;
  }
  SendCheck(std::string(key), quota, std::move(done), true, *probe);
}

void RedisLimiter::SendCheck(std::string key, Quota quota, DecisionCallback done, bool by_sha, bool probe) {
  const std::string full_key = options_.key_prefix + key;
  const std::string interval = std::to_string(EmissionIntervalMs(quota));
  const std::string tolerance = std::to_string(EmissionIntervalMs(quota) * std::max<std::int64_t>(1, quota.burst));
  std::string command = by_sha ? FormatRedisCommand({"EVALSHA", script_sha_, "1", full_key, interval, tolerance})
                               : FormatRedisCommand({"EVAL", kScript, "1", full_key, interval, tolerance});
  // The callback may run on another thread (the own pipeline's): carry the request id over
  // for its log lines.
  PipelineForThisThread().Send(std::move(command), [this, key = std::move(key), quota, done = std::move(done), by_sha, probe,
                                       request_id = server::CurrentRequestId()](
                                          RedisReplyPtr reply, std::string_view reason, std::string_view detail) mutable {
    server::RequestLogScope log_scope(request_id);
    if (!reply) {
      if (reason != "shutdown") MarkFailed(std::string(reason), std::string(detail), probe);
      done(Fallback(key, quota));
      return;
    }
    if (by_sha && reply->type == REDIS_REPLY_ERROR &&
        std::string_view(reply->str, reply->len).rfind("NOSCRIPT", 0) == 0) {
      // First use on this Redis (or after SCRIPT FLUSH): send the script itself once.
      SendCheck(std::move(key), quota, std::move(done), false, probe);
      return;
    }
    Decision d;
    if (!ParseScriptReply(reply.get(), quota, &d)) {
      MarkFailed("error", ReplyError(reply.get()), probe);
      done(Fallback(key, quota));
      return;
    }
    MarkHealthy();
    done(d);
  });
}

Decision RedisLimiter::Check(std::string_view key, const Quota& quota) {
  if (!ShouldTryRedis()) return Fallback(key, quota);
  std::string error;
  ContextPtr ctx = Acquire(&error);
  if (!ctx) {
    MarkFailed(error.substr(0, error.find(':')), error);
    return Fallback(key, quota);
  }
  const std::string full_key = options_.key_prefix + std::string(key);
  const std::string interval = std::to_string(EmissionIntervalMs(quota));
  const std::string tolerance = std::to_string(EmissionIntervalMs(quota) * std::max<std::int64_t>(1, quota.burst));
  auto run = [&](bool by_sha) {
    if (by_sha) {
      return ReplyPtr(static_cast<redisReply*>(redisCommand(
          ctx.get(), "EVALSHA %s 1 %b %s %s", script_sha_.c_str(), full_key.data(), full_key.size(),
          interval.c_str(), tolerance.c_str())));
    }
    return ReplyPtr(static_cast<redisReply*>(redisCommand(ctx.get(), "EVAL %s 1 %b %s %s", kScript,
                                                          full_key.data(), full_key.size(),
                                                          interval.c_str(), tolerance.c_str())));
  };
  ReplyPtr reply = run(true);
  if (reply && reply->type == REDIS_REPLY_ERROR && std::string_view(reply->str, reply->len).rfind("NOSCRIPT", 0) == 0) {
    reply = run(false);
  }
  if (!reply) {
    MarkFailed(FailureReason(ctx.get()), ctx->errstr);
    return Fallback(key, quota);
  }
  Decision d;
  if (!ParseScriptReply(reply.get(), quota, &d)) {
    std::string detail = ReplyError(reply.get());
    Release(std::move(ctx));
    MarkFailed("error", detail);
    return Fallback(key, quota);
  }
  Release(std::move(ctx));
  MarkHealthy();
  return d;
}

bool RedisLimiter::Ping(std::chrono::milliseconds timeout) {
  std::string error;
  ContextPtr ctx = Connect(timeout, &error);
  if (!ctx) return false;
  ReplyPtr r(static_cast<redisReply*>(redisCommand(ctx.get(), "PING")));
  return r && r->type == REDIS_REPLY_STATUS;
}

}  // namespace tenant::api::ratelimit
