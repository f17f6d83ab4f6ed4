#pragma once

#include <functional>
#include <memory>
#include <stop_token>
#include <string>

#include "common/metrics/metrics.hpp"
#include "operator/kube/client.hpp"
#include "operator/kube/controller.hpp"
#include "operator/kube/events.hpp"
#include "operator/kube/informer.hpp"
#include "operator/kube/store.hpp"
#include "operator/manager/options.hpp"

namespace tenant::manager {

// Wires the process: one shared informer per (resource, namespace, selector), the
// controllers' work queues and workers, leader election, and the metrics/health endpoints.
//
//   Manager mgr(options, client);
//   auto tenants = mgr.Cache(tenant::api::kTenantResource);    // before Run
//   mgr.AddController({.name = "tenant", .primary = ..., .owns = {...},
//                      .reconciler = std::make_shared<TenantReconciler>(mgr.client(), tenants, ...)});
//   return mgr.Run(stop);     // blocks until stop or lost leadership
class Manager {
 public:
  Manager(Options options, std::shared_ptr<kube::Client> client);
  // For clients that report into the manager's metrics registry (rest_client_requests_total).
  using ClientFactory = std::function<std::shared_ptr<kube::Client>(metrics::Registry&)>;
  Manager(Options options, const ClientFactory& make_client);
  ~Manager();
  Manager(const Manager&) = delete;
  Manager& operator=(const Manager&) = delete;

  const Options& options() const noexcept;
  kube::Client& client() noexcept;
  std::shared_ptr<kube::Client> shared_client() noexcept;
  metrics::Registry& metrics() noexcept;
  // Recorder for a component (reportingController is always tenant-operator).
  std::shared_ptr<kube::EventRecorder> events();

  // The shared cache for a resource in the watched namespace (all namespaces if
  // Options.watch_namespace is empty; cluster-scoped resources are cluster-wide).
  // Must be called before Run. Synced before any controller's worker starts.
  std::shared_ptr<kube::ObjectCache> Cache(const kube::Resource& r, const std::string& label_selector = {});
  // The same, creating the informer with these options (a transform, a compact store). Only
  // the first request of a (resource, selector) may set them: throws std::logic_error when
  // that cache already exists.
  std::shared_ptr<kube::ObjectCache> Cache(const kube::Resource& r, const std::string& label_selector,
                                           kube::InformerOptions informer_options);

  void AddController(kube::ControllerSpec spec);

  // Adds a key to the named controller's work queue from outside the informers (e.g. when
  // background work for an object has finished). Safe to call from any thread at any
  // time; a no-op until Run has started the controller and after the Manager is gone.
  std::function<void(const kube::Request&)> Enqueuer(const std::string& controller);

  // Starts endpoints, waits for leadership (if enabled), starts informers, waits for
  // sync, starts workers; returns when `stop` is requested (drains in-flight reconciles
  // within the graceful shutdown timeout, releases the Lease) with 0, or with non-zero when
  // leadership was lost or caches never synced.
  int Run(std::stop_token stop);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace tenant::manager
