#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <stop_token>
#include <thread>
#include <vector>

#include "common/metrics/metrics.hpp"
#include "operator/kube/controller.hpp"
#include "operator/kube/informer.hpp"
#include "operator/kube/store.hpp"
#include "operator/kube/workqueue.hpp"

namespace tenant::kube {

// Runs one controller: informer events -> work queue -> N workers calling the reconciler.
// Result handling: Success forgets the key's failures; Error (or an exception) requeues
// rate limited; Terminal forgets without requeue; RequeueAfter forgets and re-adds later.
// A resync ticker re-queues every cached primary every `resync` (±10% jitter) from the
// cache alone, so drift outside Kubernetes gets corrected without API calls.
// Metrics: controller_runtime_reconcile_total{controller,result},
// controller_runtime_reconcile_errors_total{controller},
// controller_runtime_terminal_reconcile_errors_total{controller},
// controller_runtime_reconcile_time_seconds{controller},
// controller_runtime_max_concurrent_reconciles{controller},
// controller_runtime_active_workers{controller}, plus the queue's workqueue_* series.
class ControllerLoop {
 public:
  ControllerLoop(ControllerSpec spec, int workers, std::chrono::milliseconds resync, metrics::Registry* registry,
                 std::unique_ptr<RateLimiter> limiter = nullptr);
  ~ControllerLoop();

  const std::string& name() const { return spec_.name; }
  const ControllerSpec& spec() const { return spec_; }

  // Event handlers to register on the informers.
  InformerHandlers PrimaryHandlers();
  InformerHandlers OwnedHandlers();           // maps through the controller ownerReference
  InformerHandlers MappedHandlers(MapFunc f);

  void Enqueue(const Request& r);

  // Starts workers and the resync ticker; `primary` must be synced.
  void Start(std::shared_ptr<ObjectCache> primary);
  // Stops taking new keys, waits for in-flight reconciles up to `deadline`, then asks
  // reconcilers to stop (stop_token) and joins. Returns false when the deadline passed.
  bool Stop(std::chrono::milliseconds deadline);

  WorkQueue& queue() { return *queue_; }

 private:
  void Worker(std::stop_token stop);
  void ResyncLoop(std::stop_token stop);
  void ProcessOne(const std::string& key, std::stop_token stop);

  ControllerSpec spec_;
  int workers_;
  std::chrono::milliseconds resync_;
  std::unique_ptr<WorkQueue> queue_;
  std::shared_ptr<ObjectCache> primary_;
  std::vector<std::jthread> threads_;
  std::jthread resync_thread_;
  std::atomic<int> active_{0};

  metrics::CounterFamily* total_ = nullptr;
  metrics::Counter* errors_ = nullptr;
  metrics::Counter* terminal_ = nullptr;
  metrics::Histogram* time_ = nullptr;
  metrics::Gauge* active_gauge_ = nullptr;
};

// Whether an update of the primary should trigger a reconcile: generation changed, or the
// metadata the controller acts on (labels, annotations, finalizers, deletionTimestamp,
// ownerReferences) changed; for objects without generation any change outside status and
// bookkeeping metadata counts. Pure.
bool PrimaryUpdateMatters(const nlohmann::json& old_obj, const nlohmann::json& new_obj);

}  // namespace tenant::kube
