#include "operator/kube/controller_loop.hpp"

#include <random>

#include "common/log/log.hpp"
#include "operator/kube/objects.hpp"

namespace tenant::kube {
namespace {

std::vector<double> ReconcileBuckets() {
  return {0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.6, 0.7, 0.8, 0.9,
          1.0, 1.25, 1.5, 1.75, 2.0, 2.5, 3.0, 3.5, 4.0, 4.5, 5, 6, 7, 8, 9, 10, 15, 20, 25, 30, 40, 50, 60};
}

Json Meta(const Json& o) { return o.value("metadata", Json::object()); }

Json Stripped(const Json& o) {
  Json c = o;
  c.erase("status");
  if (c.contains("metadata")) {
    c["metadata"].erase("resourceVersion");
    c["metadata"].erase("managedFields");
  }
  return c;
}

std::string GroupOf(const std::string& api_version) {
  auto slash = api_version.find('/');
  return slash == std::string::npos ? std::string() : api_version.substr(0, slash);
}

}  // namespace

bool PrimaryUpdateMatters(const Json& a, const Json& b) {
  if (Generation(a) == 0 && Generation(b) == 0) return Stripped(a) != Stripped(b);
  if (Generation(a) != Generation(b)) return true;
  auto ma = Meta(a), mb = Meta(b);
  for (const char* f : {"labels", "annotations", "finalizers", "deletionTimestamp", "ownerReferences"}) {
    if (ma.value(f, Json()) != mb.value(f, Json())) return true;
  }
  return false;
}

std::vector<Request> MapToControllerOwner(const Json& obj, std::string_view owner_group, std::string_view owner_kind) {
  auto m = obj.find("metadata");
  if (m == obj.end() || !m->is_object()) return {};
  auto refs = m->find("ownerReferences");
  if (refs == m->end() || !refs->is_array()) return {};
  for (const auto& r : *refs) {
    if (!r.is_object() || !r.value("controller", false)) continue;
    if (r.value("kind", "") != owner_kind || GroupOf(r.value("apiVersion", "")) != owner_group) return {};
    return {Request{m->value("namespace", ""), r.value("name", "")}};
  }
  return {};
}

ControllerLoop::ControllerLoop(ControllerSpec spec, int workers, std::chrono::milliseconds resync,
                               metrics::Registry* registry, std::unique_ptr<RateLimiter> limiter)
    : spec_(std::move(spec)), workers_(std::max(1, workers)), resync_(resync) {
  queue_ = std::make_unique<WorkQueue>(spec_.name, limiter ? std::move(limiter) : DefaultControllerRateLimiter(),
                                       registry);
  if (registry) {
    total_ = &registry->Counter("controller_runtime_reconcile_total",
                                "Total number of reconciliations per controller", {"controller", "result"});
    for (const char* r : {"success", "error", "requeue", "requeue_after"}) total_->WithLabelValues({spec_.name, r});
    errors_ = &registry->Counter("controller_runtime_reconcile_errors_total",
                                 "Total number of reconciliation errors per controller", {"controller"})
                   .WithLabelValues({spec_.name});
    terminal_ = &registry->Counter("controller_runtime_terminal_reconcile_errors_total",
                                   "Total number of terminal reconciliation errors per controller", {"controller"})
                     .WithLabelValues({spec_.name});
    time_ = &registry->Histogram("controller_runtime_reconcile_time_seconds",
                                 "Length of time per reconciliation per controller", {"controller"}, ReconcileBuckets())
                 .WithLabelValues({spec_.name});
    registry->Gauge("controller_runtime_max_concurrent_reconciles",
                    "Maximum number of concurrent reconciles per controller", {"controller"})
        .WithLabelValues({spec_.name})
        .Set(workers_);
    active_gauge_ = &registry->Gauge("controller_runtime_active_workers",
                                     "Number of currently used workers per controller", {"controller"})
                         .WithLabelValues({spec_.name});
  }
}

ControllerLoop::~ControllerLoop() { Stop(std::chrono::milliseconds(0)); }

void ControllerLoop::Enqueue(const Request& r) {
  if (!r.name.empty()) queue_->Add(r.Key());
}

InformerHandlers ControllerLoop::PrimaryHandlers() {
  InformerHandlers h;
  h.on_add = [this](const ObjectPtr& o) { queue_->Add(ObjectKey(*o)); };
  h.on_update = [this](const ObjectPtr& a, const ObjectPtr& b) {
    if (spec_.reconcile_on_status_change || PrimaryUpdateMatters(*a, *b)) queue_->Add(ObjectKey(*b));
  };
  h.on_delete = [this](const ObjectPtr& o) { queue_->Add(ObjectKey(*o)); };
  return h;
}

InformerHandlers ControllerLoop::OwnedHandlers() {
  const std::string group = spec_.primary.group, kind = spec_.primary.kind;
  auto enqueue = [this, group, kind](const Json& o) {
    for (const auto& r : MapToControllerOwner(o, group, kind)) Enqueue(r);
  };
  InformerHandlers h;
  h.on_add = [enqueue](const ObjectPtr& o) { enqueue(*o); };
  h.on_update = [enqueue](const ObjectPtr& a, const ObjectPtr& b) {
    enqueue(*a);  // the owner may have changed: both old and new owners look again
    enqueue(*b);
  };
  h.on_delete = [enqueue](const ObjectPtr& o) { enqueue(*o); };
  return h;
}

InformerHandlers ControllerLoop::MappedHandlers(MapFunc f) {
  auto enqueue = [this, f = std::move(f)](const Json& o) {
    for (const auto& r : f(o)) Enqueue(r);
  };
  InformerHandlers h;
  h.on_add = [enqueue](const ObjectPtr& o) { enqueue(*o); };
  h.on_update = [enqueue](const ObjectPtr& a, const ObjectPtr& b) {
    enqueue(*a);
    enqueue(*b);
  };
  h.on_delete = [enqueue](const ObjectPtr& o) { enqueue(*o); };
  return h;
}

void ControllerLoop::Start(std::shared_ptr<ObjectCache> primary) {
  primary_ = std::move(primary);
  for (int i = 0; i < workers_; ++i) threads_.emplace_back([this](std::stop_token st) { Worker(st); });
  if (resync_.count() > 0) resync_thread_ = std::jthread([this](std::stop_token st) { ResyncLoop(st); });
}

bool ControllerLoop::Stop(std::chrono::milliseconds deadline) {
  queue_->ShutDown();
  if (resync_thread_.joinable()) {
    resync_thread_.request_stop();
    resync_thread_.join();
  }
  const auto until = std::chrono::steady_clock::now() + deadline;
  bool drained = true;
  while (active_.load() > 0) {
    if (std::chrono::steady_clock::now() >= until) {
      drained = false;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  for (auto& t : threads_) t.request_stop();  // reconcilers still running see stop
  for (auto& t : threads_) if (t.joinable()) t.join();
  threads_.clear();
  return drained;
}

void ControllerLoop::Worker(std::stop_token stop) {
  for (;;) {
    auto key = queue_->Get();
    if (!key) return;
    active_.fetch_add(1);
    if (active_gauge_) active_gauge_->Inc();
    ProcessOne(*key, stop);
    queue_->Done(*key);
    if (active_gauge_) active_gauge_->Dec();
    active_.fetch_sub(1);
  }
}

void ControllerLoop::ProcessOne(const std::string& key, std::stop_token stop) {
  auto [ns, name] = SplitKey(key);
  Request req{ns, name};
  const auto start = std::chrono::steady_clock::now();
  Result result = Result::Success();
  try {
    result = spec_.reconciler->Reconcile(req, stop);
  } catch (const std::exception& e) {
    result = Result::Error(e.what());
  }
  if (time_) time_->Observe(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  switch (result.kind()) {
    case Result::Kind::kSuccess:
      queue_->Forget(key);
      if (total_) total_->WithLabelValues({spec_.name, "success"}).Inc();
      break;
    case Result::Kind::kRequeueAfter:
      queue_->Forget(key);
      queue_->AddAfter(key, result.requeue_after());
      if (total_) total_->WithLabelValues({spec_.name, "requeue_after"}).Inc();
      break;
    case Result::Kind::kError:
      queue_->AddRateLimited(key);
      if (total_) total_->WithLabelValues({spec_.name, "error"}).Inc();
      if (errors_) errors_->Inc();
      log::Error("Reconciler error", {{"controller", spec_.name}, {"key", key}, {"error", result.message()},
                                      {"retries", queue_->NumRequeues(key)}});
      break;
    case Result::Kind::kTerminal:
      queue_->Forget(key);
      if (total_) total_->WithLabelValues({spec_.name, "error"}).Inc();
      if (errors_) errors_->Inc();
      if (terminal_) terminal_->Inc();
      log::Error("Reconciler terminal error", {{"controller", spec_.name}, {"key", key}, {"error", result.message()}});
      break;
  }
}

void ControllerLoop::ResyncLoop(std::stop_token stop) {
  std::mt19937 gen(std::random_device{}());
  std::mutex m;
  std::condition_variable_any cv;
  for (;;) {
    // ±10% jitter so several replicas/controllers do not resync in lockstep.
    const double f = std::uniform_real_distribution<double>(0.9, 1.1)(gen);
    auto wait = std::chrono::milliseconds(static_cast<long long>(static_cast<double>(resync_.count()) * f));
    std::unique_lock lock(m);
    if (cv.wait_for(lock, stop, wait, [] { return false; }) || stop.stop_requested()) return;
    if (!primary_) continue;
    for (const auto& k : primary_->Keys()) queue_->Add(k);
  }
}

}  // namespace tenant::kube
