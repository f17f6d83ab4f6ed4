#include "operator/kube/store.hpp"

#include <stdexcept>

namespace tenant::kube {
namespace {

const nlohmann::json& Meta(const nlohmann::json& obj) {
  static const nlohmann::json kEmpty = nlohmann::json::object();
  auto it = obj.find("metadata");
  return (it != obj.end() && it->is_object()) ? *it : kEmpty;
}

std::vector<std::string> OwnerUids(const nlohmann::json& obj) {
  std::vector<std::string> uids;
  const auto& m = Meta(obj);
  if (auto refs = m.find("ownerReferences"); refs != m.end() && refs->is_array()) {
    for (const auto& r : *refs) {
      if (r.is_object() && r.contains("uid") && r["uid"].is_string()) uids.push_back(r["uid"].get<std::string>());
    }
  }
  return uids;
}

}  // namespace

std::string MakeKey(std::string_view ns, std::string_view name) {
  if (ns.empty()) return std::string(name);
  std::string k(ns);
  k += "/";
  k += name;
  return k;
}

std::string ObjectKey(const nlohmann::json& obj) {
  const auto& m = Meta(obj);
  return MakeKey(m.value("namespace", ""), m.value("name", ""));
}

std::pair<std::string, std::string> SplitKey(std::string_view key) {
  auto slash = key.find('/');
  if (slash == std::string_view::npos) return {"", std::string(key)};
  return {std::string(key.substr(0, slash)), std::string(key.substr(slash + 1))};
}

Store::Store(StoreOptions options) : opts_(std::move(options)) {
  for (const auto& [name, fn] : opts_.indexers) indices_[name];
}

void Store::FileUnderIndexes(const nlohmann::json& obj, Entry& e) const {
  for (const auto& [name, fn] : opts_.indexers) {
    for (auto& value : fn(obj)) e.index_values.emplace_back(name, std::move(value));
  }
}

Store::Entry Store::Prepare(const nlohmann::json& obj) const {
  Entry e;
  e.resource_version = Meta(obj).value("resourceVersion", "");
  e.owner_uids = OwnerUids(obj);
  FileUnderIndexes(obj, e);
  if (opts_.compact) {
    nlohmann::json::to_msgpack(obj, nlohmann::detail::output_adapter<char>(e.packed));
    e.packed.shrink_to_fit();
  } else {
    e.object = std::make_shared<const nlohmann::json>(obj);
  }
  return e;
}

Store::Entry Store::Prepare(ObjectPtr obj) const {
  if (opts_.compact) return Prepare(*obj);
  Entry e;
  e.resource_version = Meta(*obj).value("resourceVersion", "");
  e.owner_uids = OwnerUids(*obj);
  FileUnderIndexes(*obj, e);
  e.object = std::move(obj);
  return e;
}

ObjectPtr Store::Load(const Entry& e) const {
  if (e.object) return e.object;
  return std::make_shared<const nlohmann::json>(nlohmann::json::from_msgpack(e.packed));
}

void Store::IndexLocked(const std::string& key, const Entry& e) {
  for (const auto& uid : e.owner_uids) by_owner_[uid].insert(key);
  for (const auto& [index, value] : e.index_values) indices_[index][value].insert(key);
}

void Store::UnindexLocked(const std::string& key, const Entry& e) {
  for (const auto& uid : e.owner_uids) {
    auto it = by_owner_.find(uid);
    if (it == by_owner_.end()) continue;
    it->second.erase(key);
    if (it->second.empty()) by_owner_.erase(it);
  }
  for (const auto& [index, value] : e.index_values) {
    auto& by_value = indices_[index];
    auto it = by_value.find(value);
    if (it == by_value.end()) continue;
    it->second.erase(key);
    if (it->second.empty()) by_value.erase(it);
  }
}

const std::map<std::string, std::set<std::string>, std::less<>>& Store::IndexByNameLocked(std::string_view index) const {
  auto it = indices_.find(index);
  if (it == indices_.end()) throw std::out_of_range("cache has no index " + std::string(index));
  return it->second;
}

std::vector<std::string> Store::IndexKeys(std::string_view index, std::string_view value) const {
  std::shared_lock lock(mu_);
  const auto& by_value = IndexByNameLocked(index);
  auto it = by_value.find(value);
  if (it == by_value.end()) return {};
  return {it->second.begin(), it->second.end()};
}

std::map<std::string, std::size_t, std::less<>> Store::IndexCounts(std::string_view index) const {
  std::shared_lock lock(mu_);
  std::map<std::string, std::size_t, std::less<>> counts;
  for (const auto& [value, keys] : IndexByNameLocked(index)) counts.emplace(value, keys.size());
  return counts;
}

ObjectPtr Store::Upsert(ObjectPtr obj) {
  auto key = ObjectKey(*obj);
  Entry fresh = Prepare(std::move(obj));
  std::unique_lock lock(mu_);
  ObjectPtr old;
  if (auto it = items_.find(key); it != items_.end()) {
    old = Load(it->second);
    UnindexLocked(key, it->second);
    it->second = std::move(fresh);
    IndexLocked(key, it->second);
  } else {
    auto ins = items_.emplace(key, std::move(fresh)).first;
    IndexLocked(key, ins->second);
  }
  return old;
}

ObjectPtr Store::Remove(std::string_view key) {
  std::unique_lock lock(mu_);
  auto it = items_.find(key);
  if (it == items_.end()) return nullptr;
  ObjectPtr old = Load(it->second);
  UnindexLocked(it->first, it->second);
  items_.erase(it);
  return old;
}

std::vector<ObjectPtr> Store::Replace(std::vector<ObjectPtr> objects) {
  std::vector<std::pair<std::string, Entry>> entries;
  entries.reserve(objects.size());
  for (auto& o : objects) {
    auto key = ObjectKey(*o);
    entries.emplace_back(std::move(key), Prepare(std::move(o)));
  }
  return Replace(std::move(entries)).gone;
}

Store::Changes Store::Replace(std::vector<std::pair<std::string, Entry>> entries) {
  std::map<std::string, Entry, std::less<>> fresh;
  for (auto& [k, e] : entries) fresh[std::move(k)] = std::move(e);
  entries.clear();
  Changes changes;
  std::unique_lock lock(mu_);
  for (auto& [k, v] : items_) {
    auto it = fresh.find(k);
    if (it == fresh.end()) {
      changes.gone.push_back(Load(v));
    } else if (it->second.resource_version != v.resource_version) {
      changes.updated.emplace_back(k, Load(v));
    }
  }
  for (const auto& [k, v] : fresh) {
    if (!items_.count(k)) changes.added.push_back(k);
  }
  items_ = std::move(fresh);
  by_owner_.clear();
  for (auto& [name, by_value] : indices_) by_value.clear();
  for (auto& [k, v] : items_) IndexLocked(k, v);
  return changes;
}

void Store::MarkSynced() {
  std::unique_lock lock(mu_);
  synced_ = true;
}

std::size_t Store::Size() const {
  std::shared_lock lock(mu_);
  return items_.size();
}

ObjectPtr Store::Get(std::string_view key) const {
  std::shared_lock lock(mu_);
  auto it = items_.find(key);
  return it == items_.end() ? nullptr : Load(it->second);
}

std::vector<ObjectPtr> Store::List(std::string_view ns, const LabelSelector& selector) const {
  std::shared_lock lock(mu_);
  std::vector<ObjectPtr> out;
  auto add = [&](const Entry& e) {
    auto o = Load(e);
    if (selector.Matches(*o)) out.push_back(std::move(o));
  };
  if (!ns.empty()) {
    // Keys sort by namespace first, so one namespace is a contiguous range.
    std::string prefix = std::string(ns) + "/";
    for (auto it = items_.lower_bound(prefix); it != items_.end() && it->first.compare(0, prefix.size(), prefix) == 0; ++it) {
      add(it->second);
    }
    return out;
  }
  for (const auto& [k, v] : items_) add(v);
  return out;
}

std::vector<ObjectPtr> Store::ByOwnerUid(std::string_view uid) const {
  std::shared_lock lock(mu_);
  std::vector<ObjectPtr> out;
  auto it = by_owner_.find(std::string(uid));
  if (it == by_owner_.end()) return out;
  for (const auto& key : it->second) {
    if (auto o = items_.find(key); o != items_.end()) out.push_back(Load(o->second));
  }
  return out;
}

std::vector<std::string> Store::Keys() const {
  std::shared_lock lock(mu_);
  std::vector<std::string> keys;
  keys.reserve(items_.size());
  for (const auto& [k, v] : items_) keys.push_back(k);
  return keys;
}

bool Store::HasSynced() const {
  std::shared_lock lock(mu_);
  return synced_;
}

}  // namespace tenant::kube
