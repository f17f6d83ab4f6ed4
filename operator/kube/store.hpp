#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "operator/kube/labels.hpp"

namespace tenant::kube {

using ObjectPtr = std::shared_ptr<const nlohmann::json>;

// "namespace/name", or "name" for cluster-scoped objects (client-go's MetaNamespaceKey).
std::string ObjectKey(const nlohmann::json& obj);
std::string MakeKey(std::string_view ns, std::string_view name);
// Splits a key into namespace ("" for cluster-scoped) and name.
std::pair<std::string, std::string> SplitKey(std::string_view key);

// Read side of an informer cache: what reconcilers use instead of API reads. Objects are
// immutable snapshots shared between readers (never modify them; copy first).
class ObjectCache {
 public:
  virtual ~ObjectCache() = default;
  // By "namespace/name" (or "name" when cluster-scoped). nullptr when absent.
  virtual ObjectPtr Get(std::string_view key) const = 0;
  ObjectPtr Get(std::string_view ns, std::string_view name) const { return Get(MakeKey(ns, name)); }
  // Objects in namespace `ns` ("" = all) matching `selector` (empty = everything).
  virtual std::vector<ObjectPtr> List(std::string_view ns = {},
                                      const LabelSelector& selector = {}) const = 0;
  // Objects having an ownerReference with this UID.
  virtual std::vector<ObjectPtr> ByOwnerUid(std::string_view uid) const = 0;
  // client-go's IndexKeys: keys of the objects that index `index` (StoreOptions::indexers)
  // files under `value`, sorted. Answered without reading any object. Throws
  // std::out_of_range for an index the cache does not have.
  virtual std::vector<std::string> IndexKeys(std::string_view index, std::string_view value) const = 0;
  // Every value of `index` with how many objects are filed under it.
  virtual std::map<std::string, std::size_t, std::less<>> IndexCounts(std::string_view index) const = 0;
  virtual std::vector<std::string> Keys() const = 0;
  virtual bool HasSynced() const = 0;
};

// client-go's IndexFunc: the values an object is filed under in one index (none: not filed).
using IndexFunc = std::function<std::vector<std::string>(const nlohmann::json&)>;

struct StoreOptions {
  // Keep every object as MessagePack bytes and hand out a freshly parsed snapshot on each
  // read. nlohmann::json's tree costs ~100 bytes per key (a map node per member); the bytes
  // are 4-6x smaller (tests/bench/informer_bench.sh). For caches read by key a few times
  // per reconcile; what a hot path needs from every object belongs in an index.
  bool compact = false;
  // Named indexes, computed once per object version when it is stored (IndexKeys).
  std::map<std::string, IndexFunc, std::less<>> indexers;
};

// The thread-safe store behind an informer, indexed by key, namespace and owner UID.
// Usable directly as an ObjectCache fake in unit tests (Add objects, mark synced).
class Store final : public ObjectCache {
 public:
  // One object in the form the store keeps it (parsed, or packed when compact), with what
  // the indexes and a relist need, so neither has to parse it again.
  struct Entry {
    ObjectPtr object;                 // when not compact
    std::string packed;               // when compact: MessagePack
    std::string resource_version;
    std::vector<std::string> owner_uids;
    std::vector<std::pair<std::string, std::string>> index_values;  // (index, value)
  };
  // What a Replace changed, for informer handlers (objects parsed only for these).
  struct Changes {
    std::vector<std::string> added;                            // keys
    std::vector<std::pair<std::string, ObjectPtr>> updated;    // key, previous object (resourceVersion changed)
    std::vector<ObjectPtr> gone;                               // last known state
  };

  Store() = default;
  explicit Store(StoreOptions options);

  // Inserts or replaces; returns the previous object (nullptr if new).
  ObjectPtr Upsert(ObjectPtr obj);
  ObjectPtr Upsert(nlohmann::json obj) { return Upsert(std::make_shared<const nlohmann::json>(std::move(obj))); }
  // Removes by key; returns the removed object (nullptr if absent).
  ObjectPtr Remove(std::string_view key);
  // Replaces the whole content (after a relist); returns the objects that disappeared.
  std::vector<ObjectPtr> Replace(std::vector<ObjectPtr> objects);
  // The same from prepared entries (an informer packs each page of a LIST as it arrives, so a
  // relist never holds every object parsed at once).
  Entry Prepare(const nlohmann::json& obj) const;
  Entry Prepare(ObjectPtr obj) const;
  Changes Replace(std::vector<std::pair<std::string, Entry>> entries);
  void MarkSynced();
  std::size_t Size() const;
  bool compact() const noexcept { return opts_.compact; }

  ObjectPtr Get(std::string_view key) const override;
  using ObjectCache::Get;
  std::vector<ObjectPtr> List(std::string_view ns = {},
                              const LabelSelector& selector = {}) const override;
  std::vector<ObjectPtr> ByOwnerUid(std::string_view uid) const override;
  std::vector<std::string> IndexKeys(std::string_view index, std::string_view value) const override;
  std::map<std::string, std::size_t, std::less<>> IndexCounts(std::string_view index) const override;
  std::vector<std::string> Keys() const override;
  bool HasSynced() const override;

 private:
  ObjectPtr Load(const Entry& e) const;
  void FileUnderIndexes(const nlohmann::json& obj, Entry& e) const;
  const std::map<std::string, std::set<std::string>, std::less<>>& IndexByNameLocked(std::string_view index) const;
  void IndexLocked(const std::string& key, const Entry& e);
  void UnindexLocked(const std::string& key, const Entry& e);

  StoreOptions opts_;
  mutable std::shared_mutex mu_;
  std::map<std::string, Entry, std::less<>> items_;
  std::unordered_map<std::string, std::unordered_set<std::string>> by_owner_;
  // index name -> value -> keys; every configured index present (possibly empty).
  std::map<std::string, std::map<std::string, std::set<std::string>, std::less<>>, std::less<>> indices_;
  bool synced_ = false;
};

}  // namespace tenant::kube
