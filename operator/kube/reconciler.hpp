#pragma once

#include <chrono>
#include <stop_token>
#include <string>

namespace tenant::kube {

// What a reconcile is asked to do: the key of the primary object.
struct Request {
  std::string ns;    // "" for cluster-scoped primaries
  std::string name;
  std::string Key() const { return ns.empty() ? name : ns + "/" + name; }
  bool operator==(const Request&) const = default;
};

// The outcome of one reconcile (controller-runtime's Result + error, made explicit):
//   Success()        done; the key's failure count is forgotten.
//   Error(msg)       transient failure: requeued with per-key exponential backoff.
//   Terminal(msg)    permanent failure (bad spec...): not requeued until the object changes;
//                    the reconciler is expected to have surfaced it in status.
//   RequeueAfter(d)  success, but look again after d (polling external state).
// A reconciler that throws is treated as Error(what()).
class Result {
 public:
  enum class Kind { kSuccess, kError, kTerminal, kRequeueAfter };

  static Result Success() { return Result(Kind::kSuccess, {}, {}); }
  static Result Error(std::string message) { return Result(Kind::kError, std::move(message), {}); }
  static Result Terminal(std::string message) { return Result(Kind::kTerminal, std::move(message), {}); }
  static Result RequeueAfter(std::chrono::milliseconds after) { return Result(Kind::kRequeueAfter, {}, after); }

  Kind kind() const noexcept { return kind_; }
  const std::string& message() const noexcept { return message_; }
  std::chrono::milliseconds requeue_after() const noexcept { return after_; }
  bool ok() const noexcept { return kind_ == Kind::kSuccess || kind_ == Kind::kRequeueAfter; }

 private:
  Result(Kind k, std::string m, std::chrono::milliseconds a) : kind_(k), message_(std::move(m)), after_(a) {}
  Kind kind_;
  std::string message_;
  std::chrono::milliseconds after_{0};
};

// Implemented by each controller (e.g. the Tenant controller). Called from N worker
// threads, never concurrently for the same key. `stop` is requested on shutdown: long
// steps should check it and return Error so the key is retried by the next leader.
class Reconciler {
 public:
  virtual ~Reconciler() = default;
  virtual Result Reconcile(const Request& req, std::stop_token stop) = 0;
};

}  // namespace tenant::kube
