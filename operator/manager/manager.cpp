#include "operator/manager/manager.hpp"

#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <map>
#include <mutex>
#include <optional>
#include <thread>

#include "common/log/log.hpp"
#include "operator/kube/controller_loop.hpp"
#include "operator/kube/event_recorder.hpp"
#include "operator/kube/informer.hpp"
#include "operator/kube/leader_election.hpp"
#include "operator/manager/http_endpoints.hpp"

namespace tenant::manager {

namespace {
// The running controllers by name, for Enqueuer callbacks that may outlive the Manager.
struct EnqueueTargets {
  std::mutex mu;
  std::map<std::string, kube::ControllerLoop*> loops;
};
}  // namespace

struct Manager::Impl {
  std::shared_ptr<EnqueueTargets> targets = std::make_shared<EnqueueTargets>();
  Options options;
  std::shared_ptr<kube::Client> client;
  metrics::Registry registry;
  std::shared_ptr<kube::ApiEventRecorder> events;
  std::map<std::string, std::unique_ptr<kube::Informer>> informers;  // by resource|selector
  std::vector<kube::ControllerSpec> specs;
  std::vector<std::unique_ptr<kube::ControllerLoop>> loops;
  std::atomic<bool> ready{false};
  bool started = false;

  kube::Informer& InformerFor(const kube::Resource& r, const std::string& selector,
                              std::optional<kube::InformerOptions> informer_options = std::nullopt) {
    std::string key = r.String() + "|" + selector;
    auto it = informers.find(key);
    if (it != informers.end() && informer_options) {
      throw std::logic_error("Manager: cache options for " + r.String() + " set after the cache was created");
    }
    if (it == informers.end()) {
      if (started) throw std::logic_error("Manager: informer for " + r.String() + " requested after Run");
      it = informers
               .emplace(key, std::make_unique<kube::Informer>(client, r, options.watch_namespace, selector,
                                                              informer_options.value_or(kube::InformerOptions{})))
               .first;
    }
    return *it->second;
  }
};

Manager::Manager(Options options, std::shared_ptr<kube::Client> client)
    : Manager(std::move(options), [&client](metrics::Registry&) { return client; }) {}

Manager::Manager(Options options, const ClientFactory& make_client) : impl_(std::make_unique<Impl>()) {
  impl_->options = std::move(options);
  impl_->client = make_client(impl_->registry);
  if (!impl_->client) throw std::invalid_argument("Manager: no Kubernetes client");
  std::string instance = impl_->options.pod_name;
  if (instance.empty()) {
    char host[256] = {};
    gethostname(host, sizeof(host) - 1);
    instance = host;
  }
  impl_->events = std::make_shared<kube::ApiEventRecorder>(impl_->client, std::string(kube::kFieldManager), instance);
}

Manager::~Manager() {
  std::lock_guard lock(impl_->targets->mu);
  impl_->targets->loops.clear();
}

std::function<void(const kube::Request&)> Manager::Enqueuer(const std::string& controller) {
  std::weak_ptr<EnqueueTargets> weak = impl_->targets;
  return [weak, controller](const kube::Request& r) {
    auto targets = weak.lock();
    if (!targets) return;
    std::lock_guard lock(targets->mu);
    auto it = targets->loops.find(controller);
    if (it != targets->loops.end()) it->second->Enqueue(r);
  };
}

const Options& Manager::options() const noexcept { return impl_->options; }
kube::Client& Manager::client() noexcept { return *impl_->client; }
std::shared_ptr<kube::Client> Manager::shared_client() noexcept { return impl_->client; }
metrics::Registry& Manager::metrics() noexcept { return impl_->registry; }
std::shared_ptr<kube::EventRecorder> Manager::events() { return impl_->events; }

std::shared_ptr<kube::ObjectCache> Manager::Cache(const kube::Resource& r, const std::string& label_selector) {
  return impl_->InformerFor(r, label_selector).store();
}

std::shared_ptr<kube::ObjectCache> Manager::Cache(const kube::Resource& r, const std::string& label_selector,
                                                  kube::InformerOptions informer_options) {
  return impl_->InformerFor(r, label_selector, std::move(informer_options)).store();
}

void Manager::AddController(kube::ControllerSpec spec) {
  if (impl_->started) throw std::logic_error("Manager: AddController after Run");
  if (!spec.reconciler) throw std::invalid_argument("Manager: controller " + spec.name + " has no reconciler");
  impl_->specs.push_back(std::move(spec));
}

int Manager::Run(std::stop_token stop) {
  auto& o = impl_->options;
  impl_->started = false;

  // Endpoints first: liveness must answer while we wait for leadership.
  std::vector<std::unique_ptr<HttpEndpoints>> endpoints;
  try {
    if (!o.health_probe_bind_address.empty() && o.health_probe_bind_address != "0") {
      endpoints.push_back(std::make_unique<HttpEndpoints>(
          o.health_probe_bind_address,
          std::map<std::string, std::function<HttpReply()>>{
              {"/healthz", [] { return HttpReply{200, "text/plain; charset=utf-8", "ok\n"}; }},
              {"/readyz", [impl = impl_.get()] {
                 return impl->ready.load() ? HttpReply{200, "text/plain; charset=utf-8", "ok\n"}
                                           : HttpReply{503, "text/plain; charset=utf-8", "caches not synced\n"};
               }}}));
    }
    if (!o.metrics_bind_address.empty() && o.metrics_bind_address != "0") {
      endpoints.push_back(std::make_unique<HttpEndpoints>(
          o.metrics_bind_address,
          std::map<std::string, std::function<HttpReply()>>{
              {"/metrics", [impl = impl_.get()] {
                 return HttpReply{200, std::string(metrics::kContentType), impl->registry.Render()};
               }}}));
    }
    for (auto& e : endpoints) e->Open();
  } catch (const std::exception& e) {
    log::Error("Cannot start HTTP endpoints", {{"error", e.what()}});
    return 1;
  }

  // Leader election.
  std::unique_ptr<kube::LeaderElector> elector;
  if (o.leader_elect) {
    kube::LeaderElectionConfig lc;
    lc.lease_namespace = o.leader_election_namespace.empty() ? "default" : o.leader_election_namespace;
    lc.lease_name = o.leader_election_id;
    lc.identity = kube::MakeLeaderIdentity(o.pod_name);
    lc.lease_duration = o.lease_duration;
    lc.renew_deadline = o.renew_deadline;
    lc.retry_period = o.retry_period;
    elector = std::make_unique<kube::LeaderElector>(impl_->client, lc, &impl_->registry);
    impl_->ready = true;  // a standby is ready: it is healthy, just not leading
    if (!elector->Acquire(stop)) return 0;  // stopped while waiting
    impl_->ready = false;
  } else {
    impl_->registry.Gauge("leader_election_master_status",
                          "Gauge of if the reporting system is master of the relevant lease, 0 indicates backup, 1 "
                          "indicates master. 'name' is the string used to identify the lease.",
                          {"name"})
        .WithLabelValues({o.leader_election_id})
        .Set(1);
  }

  // Wire controllers onto informers (handlers before informers start).
  for (auto& spec : impl_->specs) {
    int workers = spec.max_concurrent_reconciles > 0 ? spec.max_concurrent_reconciles : o.max_concurrent_reconciles;
    auto loop = std::make_unique<kube::ControllerLoop>(spec, workers, std::chrono::duration_cast<std::chrono::milliseconds>(o.resync_period),
                                                       &impl_->registry);
    impl_->InformerFor(spec.primary, spec.primary_label_selector).AddHandlers(loop->PrimaryHandlers());
    for (const auto& owned : spec.owns) {
      impl_->InformerFor(owned, spec.owns_label_selector).AddHandlers(loop->OwnedHandlers());
    }
    for (const auto& w : spec.watches) {
      impl_->InformerFor(w.resource, w.label_selector).AddHandlers(loop->MappedHandlers(w.map));
    }
    {
      std::lock_guard lock(impl_->targets->mu);
      impl_->targets->loops[spec.name] = loop.get();
    }
    impl_->loops.push_back(std::move(loop));
  }
  impl_->started = true;
  for (auto& [k, inf] : impl_->informers) inf->Start();
  log::Info("Starting informers", {{"count", impl_->informers.size()}, {"namespace", o.watch_namespace}});

  std::atomic<bool> lost{false};
  std::stop_source renew_stop;
  std::mutex wake_mu;
  std::condition_variable_any wake;
  std::jthread renewer;
  if (elector) {
    renewer = std::jthread([&] {
      if (!elector->RenewUntil(renew_stop.get_token())) {
        lost = true;
        wake.notify_all();
      }
    });
  }

  int rc = 0;
  bool synced = true;
  for (auto& [k, inf] : impl_->informers) {
    // Waits until synced, stop, or lost leadership.
    while (!inf->store()->HasSynced() && !stop.stop_requested() && !lost.load()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    if (!inf->store()->HasSynced()) synced = false;
  }
  if (synced) {
    for (std::size_t i = 0; i < impl_->loops.size(); ++i) {
      const auto& spec = impl_->specs[i];
      impl_->loops[i]->Start(impl_->InformerFor(spec.primary, spec.primary_label_selector).store());
      log::Info("Starting workers", {{"controller", spec.name}});
    }
    impl_->ready = true;
    std::unique_lock lock(wake_mu);
    wake.wait(lock, stop, [&] { return lost.load(); });
  }
  if (lost.load()) {
    log::Error("Leader election lost; stopping");
    rc = 1;
  }

  // Graceful shutdown: stop intake, drain in-flight reconciles within the deadline.
  impl_->ready = false;
  // After losing the lease another replica may already be reconciling: do not drain.
  const auto deadline = lost.load() ? std::chrono::milliseconds(0)
                                    : std::chrono::duration_cast<std::chrono::milliseconds>(o.graceful_shutdown_timeout);
  const auto until = std::chrono::steady_clock::now() + deadline;
  for (auto& loop : impl_->loops) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - std::chrono::steady_clock::now());
    if (!loop->Stop(std::max(left, std::chrono::milliseconds(0)))) {
      log::Warn("Reconciles still running at the shutdown deadline", {{"controller", loop->name()}});
    }
  }
  for (auto& [k, inf] : impl_->informers) inf->Stop();
  impl_->events->Flush(std::chrono::seconds(2));
  if (elector) {
    renew_stop.request_stop();
    if (renewer.joinable()) renewer.join();
    if (!lost.load()) elector->Release();
  }
  for (auto& e : endpoints) e->Close();
  return rc;
}

}  // namespace tenant::manager
