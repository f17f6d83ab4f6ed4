#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

#include "operator/kube/backoff.hpp"
#include "operator/kube/client.hpp"
#include "operator/kube/store.hpp"

namespace tenant::kube {

struct InformerHandlers {
  std::function<void(const ObjectPtr&)> on_add;
  std::function<void(const ObjectPtr& old_obj, const ObjectPtr& new_obj)> on_update;
  std::function<void(const ObjectPtr&)> on_delete;  // last known state
};

struct InformerOptions {
  int page_size = 500;
  int watch_timeout_min_seconds = 300;  // server-side timeoutSeconds drawn from [min, max]
  int watch_timeout_max_seconds = 600;
  BackoffParams backoff{};
  // Drop metadata.managedFields before caching (controller-runtime's
  // TransformStripManagedFields). Nothing reads it from the cache, and as nested JSON it is
  // a third of a small object's in-memory size (tests/bench/informer_bench.sh). A PUT of a
  // cached object without managedFields leaves the server's unchanged.
  bool strip_managed_fields = true;
  // Applied to every object before it is cached and handed to handlers, after the
  // managedFields strip (controller-runtime's cache TransformFunc): drops what no reader of
  // this cache uses (operator/kube/cache_transforms.hpp). Must be deterministic and must keep
  // metadata.namespace/name/resourceVersion/ownerReferences.
  std::function<void(nlohmann::json&)> transform;
  // Keep cached objects packed (StoreOptions::compact): less memory, a parse per read.
  bool compact = false;
  // The cache's named indexes (StoreOptions::indexers), for hot paths over every object.
  std::map<std::string, IndexFunc, std::less<>> indexers;
};

// client-go's reflector + shared informer for one resource (optionally one namespace and
// a label selector):
//  - LIST resourceVersion=0 paginated (limit 500; a 410 on a continue token restarts the
//    list), then WATCH from the list's resourceVersion with bookmarks and a random
//    server-side timeout; every event (BOOKMARK too) advances the resourceVersion;
//  - a watch that ends normally resumes from that resourceVersion, without relisting;
//  - 410 (HTTP status or an ERROR event carrying a 410 Status) relists with the last
//    resourceVersion, falling back to a consistent list (""); objects missing from the new
//    list are delivered as deletions;
//  - failures back off 800 ms .. 30 s with jitter (reset after 2 min healthy); 429 backs
//    off and resumes the watch, never relists.
// Handlers run on the informer's thread, in event order, after the store is updated.
class Informer {
 public:
  Informer(std::shared_ptr<Client> client, Resource resource, std::string ns = {}, std::string label_selector = {},
           InformerOptions options = {});
  ~Informer();
  Informer(const Informer&) = delete;
  Informer& operator=(const Informer&) = delete;

  void AddHandlers(InformerHandlers h);  // before Start
  void Start();
  void Stop();                            // idempotent; joins the thread
  bool WaitForSync(std::stop_token stop, std::chrono::milliseconds timeout = std::chrono::minutes(10)) const;

  std::shared_ptr<Store> store() const { return store_; }
  const Resource& resource() const { return resource_; }

  // Counters for tests/benchmarks.
  std::uint64_t lists() const { return lists_.load(); }            // completed LISTs
  std::uint64_t watches() const { return watches_.load(); }        // WATCH requests started
  std::uint64_t events() const { return events_.load(); }          // watch events applied
  std::string last_resource_version() const;

 private:
  void Run(std::stop_token stop);
  // after_gone: 0 = initial list (rv "0"), 1 = first relist after a 410 (last rv),
  // 2 = a 410 again right after that: consistent list (rv "").
  void Relist(std::stop_token stop, int after_gone);
  std::vector<std::pair<std::string, Store::Entry>> ListAll(std::stop_token stop, const std::string& rv);
  void Normalize(nlohmann::json& obj) const;  // kind/apiVersion, managedFields strip, transform
  void WatchOnce(std::stop_token stop);
  bool Sleep(std::stop_token stop, std::chrono::milliseconds d);
  void SetRv(std::string rv);
  void Dispatch(const std::function<void(const InformerHandlers&)>& f);

  std::shared_ptr<Client> client_;
  Resource resource_;
  std::string ns_;
  std::string selector_;
  InformerOptions opts_;
  std::shared_ptr<Store> store_;
  std::vector<InformerHandlers> handlers_;

  mutable std::mutex rv_mu_;
  std::string rv_;
  std::atomic<std::uint64_t> lists_{0}, watches_{0}, events_{0};
  std::jthread thread_;
};

}  // namespace tenant::kube
