#include "operator/kube/informer.hpp"

#include <malloc.h>

#include <condition_variable>
#include <mutex>
#include <random>

#include "common/log/log.hpp"

namespace tenant::kube {
namespace {

std::string RvOf(const Json& obj) {
  auto m = obj.find("metadata");
  if (m == obj.end() || !m->is_object()) return {};
  return m->value("resourceVersion", "");
}

// A LIST parses pages of up to 500 objects; the page buffers freed afterwards leave holes
// between the cached objects that glibc keeps in the process (RSS). Lists are rare (start,
// 410), so handing free pages back then is cheap (tests/bench/informer_bench.sh: RSS after
// a 10,000-object list ~15% lower).
void ReleaseFreeHeap() {
#ifdef __GLIBC__
  malloc_trim(0);
#endif
}

std::mutex& ListGate() {
  static std::mutex gate;
  return gate;
}

void StripManagedFields(Json& obj) {
  if (auto m = obj.find("metadata"); m != obj.end() && m->is_object()) m->erase("managedFields");
}

}  // namespace

Informer::Informer(std::shared_ptr<Client> client, Resource resource, std::string ns, std::string label_selector,
                   InformerOptions options)
    : client_(std::move(client)),
      resource_(std::move(resource)),
      ns_(resource_.namespaced ? std::move(ns) : std::string()),
      selector_(std::move(label_selector)),
      opts_(std::move(options)),
      store_(std::make_shared<Store>(StoreOptions{opts_.compact, opts_.indexers})) {}

Informer::~Informer() { Stop(); }

void Informer::AddHandlers(InformerHandlers h) { handlers_.push_back(std::move(h)); }

void Informer::Start() {
  if (thread_.joinable()) return;
  thread_ = std::jthread([this](std::stop_token st) { Run(st); });
}

void Informer::Stop() {
  if (!thread_.joinable()) return;
  thread_.request_stop();
  thread_.join();
}

bool Informer::WaitForSync(std::stop_token stop, std::chrono::milliseconds timeout) const {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!store_->HasSynced()) {
    if (stop.stop_requested() || std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return true;
}

std::string Informer::last_resource_version() const {
  std::lock_guard lock(rv_mu_);
  return rv_;
}

void Informer::SetRv(std::string rv) {
  if (rv.empty()) return;
  std::lock_guard lock(rv_mu_);
  rv_ = std::move(rv);
}

bool Informer::Sleep(std::stop_token stop, std::chrono::milliseconds d) {
  std::mutex m;
  std::condition_variable_any cv;
  std::unique_lock lock(m);
  return !cv.wait_for(lock, stop, d, [] { return false; }) && !stop.stop_requested();
}

void Informer::Dispatch(const std::function<void(const InformerHandlers&)>& f) {
  for (const auto& h : handlers_) {
    try {
      f(h);
    } catch (const std::exception& e) {
      log::Error("Informer handler failed", {{"resource", resource_.String()}, {"error", e.what()}});
    }
  }
}

void Informer::Normalize(Json& obj) const {
  // List items carry no apiVersion/kind; fill them so cached objects are complete.
  if (!obj.contains("kind")) obj["kind"] = resource_.kind;
  if (!obj.contains("apiVersion")) obj["apiVersion"] = resource_.ApiVersion();
  if (opts_.strip_managed_fields) StripManagedFields(obj);
  if (opts_.transform) opts_.transform(obj);
}

std::vector<std::pair<std::string, Store::Entry>> Informer::ListAll(std::stop_token stop, const std::string& rv) {
  // Entries in the store's own form, made item by item as the page is parsed: a compact
  // store never has the list parsed at once.
  std::vector<std::pair<std::string, Store::Entry>> objects;
  ListOptions lo;
  lo.label_selector = selector_;
  lo.limit = opts_.page_size;
  lo.resource_version = rv;
  std::string list_rv;
  for (;;) {
    if (stop.stop_requested()) throw TransportError("stopped");
    Json page;
    try {
      // One page at a time in the whole process: every informer lists at start-up, and
      // several resources' pages in memory together were the operator's peak RSS.
      std::lock_guard one_page_at_a_time(ListGate());
      page = client_->ListEach(resource_, ns_, lo, [&](Json&& item) {
        Normalize(item);
        std::string key = ObjectKey(item);
        objects.emplace_back(std::move(key), store_->compact()
                                                 ? store_->Prepare(item)
                                                 : store_->Prepare(std::make_shared<const Json>(std::move(item))));
      });
    } catch (const GoneError&) {
      if (lo.continue_token.empty()) throw;
      // The continue token expired mid-list: start the whole list over, consistently.
      log::Info("List continue token expired; restarting list", {{"resource", resource_.String()}});
      objects.clear();
      lo.continue_token.clear();
      lo.resource_version = "";
      continue;
    }
    const auto& meta = page.value("metadata", Json::object());
    list_rv = meta.value("resourceVersion", "");
    std::string cont = meta.value("continue", "");
    if (cont.empty()) break;
    lo.continue_token = std::move(cont);
    lo.resource_version.reset();  // the continue token pins the version
  }
  SetRv(list_rv);
  return objects;
}

void Informer::Relist(std::stop_token stop, int after_gone) {
  std::vector<std::pair<std::string, Store::Entry>> objects;
  if (after_gone == 0) {
    objects = ListAll(stop, "0");
  } else if (after_gone >= 2) {
    // The list at the last version did not get us past the compaction (a cache may answer
    // with that same old version): read consistently from storage.
    objects = ListAll(stop, "");
  } else {
    std::string rv = last_resource_version();
    try {
      objects = ListAll(stop, rv);
    } catch (const GoneError&) {
      log::Info("Relist at last resourceVersion expired; consistent list", {{"resource", resource_.String()}});
      objects = ListAll(stop, "");
    }
  }
  // Diff against the cache so handlers see adds, real updates and deletions that happened
  // while we were not watching.
  const std::size_t count = objects.size();
  auto changes = store_->Replace(std::move(objects));
  for (const auto& key : changes.added) {
    if (auto o = store_->Get(key)) Dispatch([&](const InformerHandlers& h) { if (h.on_add) h.on_add(o); });
  }
  for (const auto& [key, old] : changes.updated) {
    if (auto o = store_->Get(key)) Dispatch([&](const InformerHandlers& h) { if (h.on_update) h.on_update(old, o); });
  }
  for (const auto& o : changes.gone) {
    Dispatch([&](const InformerHandlers& h) { if (h.on_delete) h.on_delete(o); });
  }
  changes = {};
  ReleaseFreeHeap();
  lists_.fetch_add(1);
  store_->MarkSynced();
  log::Debug("Listed", {{"resource", resource_.String()}, {"count", count},
                        {"resourceVersion", last_resource_version()}});
}

void Informer::WatchOnce(std::stop_token stop) {
  static thread_local std::mt19937 gen(std::random_device{}());
  WatchOptions wo;
  wo.label_selector = selector_;
  wo.resource_version = last_resource_version();
  wo.allow_bookmarks = true;
  wo.timeout_seconds =
      std::uniform_int_distribution<int>(opts_.watch_timeout_min_seconds, opts_.watch_timeout_max_seconds)(gen);
  watches_.fetch_add(1);
  client_->Watch(resource_, ns_, wo, [&](WatchEvent&& ev) {
    if (ev.type == "ERROR") {
      ThrowStatus(ParseStatus(ev.object.value("code", 500), ev.object.dump()));
    }
    std::string rv = RvOf(ev.object);
    if (ev.type == "BOOKMARK") {
      SetRv(std::move(rv));
      return true;
    }
    Normalize(ev.object);
    auto obj = std::make_shared<const Json>(std::move(ev.object));
    if (ev.type == "ADDED" || ev.type == "MODIFIED") {
      auto old = store_->Upsert(obj);
      if (old) Dispatch([&](const InformerHandlers& h) { if (h.on_update) h.on_update(old, obj); });
      else Dispatch([&](const InformerHandlers& h) { if (h.on_add) h.on_add(obj); });
    } else if (ev.type == "DELETED") {
      auto old = store_->Remove(ObjectKey(*obj));
      Dispatch([&](const InformerHandlers& h) { if (h.on_delete) h.on_delete(obj); });
    }
    SetRv(std::move(rv));
    events_.fetch_add(1);
    return true;
  }, stop);
}

void Informer::Run(std::stop_token stop) {
  Backoff backoff(opts_.backoff);
  bool need_list = true;
  int after_gone = 0;       // consecutive 410s without a watch event in between
  std::uint64_t events_at_relist = 0;
  while (!stop.stop_requested()) {
    try {
      if (need_list) {
        Relist(stop, after_gone);
        need_list = false;
        events_at_relist = events_.load();
      }
      WatchOnce(stop);  // returns when the server closes the watch: resume, do not relist
      continue;
    } catch (const GoneError& e) {
      log::Info("Watch expired; relisting", {{"resource", resource_.String()}, {"error", e.what()}});
      need_list = true;
      // A 410 again before any event arrived means the last relist did not help.
      after_gone = (after_gone > 0 && events_.load() == events_at_relist) ? 2 : 1;
      continue;  // relist at once: the gap is what matters; a failing relist backs off below
    } catch (const TooManyRequestsError& e) {
      log::Info("API server throttled the informer; backing off", {{"resource", resource_.String()}});
    } catch (const std::exception& e) {
      if (stop.stop_requested()) break;
      log::Warn("List/watch failed", {{"resource", resource_.String()}, {"error", e.what()}});
    }
    if (!Sleep(stop, backoff.Next(std::chrono::steady_clock::now()))) break;
  }
}

}  // namespace tenant::kube
