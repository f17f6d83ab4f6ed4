#pragma once
// One Redis connection, driven either by its own Asio thread or by one thread of a
// borrowed io_context (a server I/O thread: see RedisLimiter::BindIoContexts). Commands
// sent while earlier ones are on the wire are queued and written together (pipelining);
// replies come back in order and complete their callbacks. A rate-limit check therefore
// never blocks a server thread, and under load one write and one read carry a whole batch
// of checks instead of one blocking round trip (and two thread switches) per request.
// Bound to the I/O thread that asks, a check costs no thread switch at all: the command is
// queued and written on that thread and its reply completes there too.
//
// Failure model (the caller, RedisLimiter, decides about fallback and backoff):
//  - not connected when a command arrives: connect (TCP, then AUTH/SELECT pipelined in
//    front of the command); a failed connect fails every queued command ("connection");
//  - a command unanswered `timeout` after it was sent: the connection is closed and every
//    outstanding command fails with "timeout" (replies of a stalled server cannot be
//    matched to newer commands any more);
//  - an I/O error fails every outstanding command ("connection").
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/config/redis_url.hpp"

struct redisReply;

namespace boost::asio {
class io_context;
}

namespace tenant::api::ratelimit {

struct RedisReplyDeleter {
  void operator()(redisReply* r) const noexcept;
};
using RedisReplyPtr = std::unique_ptr<redisReply, RedisReplyDeleter>;

// `reply` is null on failure; then `reason` is "connection", "timeout", "auth" or
// "shutdown" and `detail` a message without secrets. Runs on the pipeline's thread (for a
// bound pipeline: the I/O thread), possibly inside Send (shutdown, or Send called on that
// thread while stopping): keep it short and never block in it.
using RedisCallback = std::function<void(RedisReplyPtr reply, std::string_view reason, std::string_view detail)>;

// Formats one command in the Redis protocol (RESP) from its arguments (binary-safe).
std::string FormatRedisCommand(const std::vector<std::string_view>& args);

class RedisPipeline {
 public:
  // Starts its own thread.
  RedisPipeline(config::RedisUrl url, std::chrono::milliseconds timeout);
  // Bound to `context`, which exactly one thread runs (concurrency hint 1); no thread of
  // its own. Stop() it after that thread stopped running the context (or on that thread),
  // and before the context is destroyed.
  RedisPipeline(config::RedisUrl url, std::chrono::milliseconds timeout, boost::asio::io_context& context);
  ~RedisPipeline();  // Stop()
  RedisPipeline(const RedisPipeline&) = delete;
  RedisPipeline& operator=(const RedisPipeline&) = delete;

  // Thread-safe; `command` from FormatRedisCommand. The callback runs exactly once (for a
  // bound pipeline: provided its context runs until Stop()). Called on the pipeline's
  // thread the command is queued at once, without a trip through the context's queue.
  void Send(std::string command, RedisCallback callback);
  // True on the thread that drives this pipeline.
  bool RunsInThisThread() const;
  // Fails outstanding commands with "shutdown" (their callbacks run before it returns),
  // joins the own thread; later Sends fail at once. Idempotent.
  void Stop();

  struct Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace tenant::api::ratelimit
