// Benchmark of operator/kube's Informer against a real kube-apiserver (driven by
// informer_bench.sh, which prints the table; never part of CTest).
//
//   informer_bench populate KUBECONFIG NAMESPACE COUNT [WRITERS]
//       creates COUNT ConfigMaps labelled bench=informer, each with a 2 kB data value.
//   informer_bench run KUBECONFIG NAMESPACE COUNT [WRITERS] [keep-managed-fields] [compact]
//       runs ONE informer over them and prints one line of key=value results
//       (keep-managed-fields: cache objects whole, as before the informer stripped them;
//       compact: a packed store, InformerOptions::compact, as the operator's owned caches):
//       - list_s: start -> cache synced (initial LIST, paginated, + handlers);
//       - rss_*/heap_*: process RSS and malloc'd bytes before the informer and once synced
//         (per object = delta / COUNT), and the JSON size of a cached object;
//       - live: WRITERS threads update every object once; time until the handler has seen
//         every update (bounded by how fast the API server takes writes);
//       - backlog: the handler is blocked while every object is updated again, then
//         released; time until it has seen all of them = the informer's own event rate
//         (the watch may be closed by the API server meanwhile; lists/watches show it).
// Populate runs in its own process so its allocations do not blur the RSS numbers.
#include <malloc.h>

#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <fstream>
#include <algorithm>
#include <functional>
#include <iostream>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "operator/kube/config.hpp"
#include "operator/kube/errors.hpp"
#include "operator/kube/informer.hpp"
#include "operator/kube/rest_client.hpp"

using namespace tenant;
using Clock = std::chrono::steady_clock;

namespace {

constexpr std::size_t kPayloadBytes = 2048;
const char* kLabel = "bench";
const char* kLabelValue = "informer";

long RssKb() {
  std::ifstream in("/proc/self/status");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  }
  return -1;
}

std::size_t HeapBytes() { return mallinfo2().uordblks; }
std::size_t HeapFreeBytes() { return mallinfo2().fordblks; }  // free, kept by malloc

// Deterministic printable payload; `round` changes its content but not its size.
std::string Payload(int index, int round) {
  std::string s(kPayloadBytes, 'x');
  for (std::size_t i = 0; i < s.size(); ++i) s[i] = static_cast<char>('a' + (i * 7 + index * 13 + round) % 26);
  return s;
}

std::string Name(int i) { return "bench-" + std::to_string(i); }

// Runs f(i) for i in [0, count) on `writers` threads; returns the first error text.
std::string Parallel(int count, int writers, const std::function<void(int)>& f) {
  std::atomic<int> next{0};
  std::mutex mu;
  std::string first_error;
  std::vector<std::jthread> threads;
  for (int w = 0; w < writers; ++w) {
    threads.emplace_back([&] {
      for (int i = next++; i < count; i = next++) {
        try {
          f(i);
        } catch (const std::exception& e) {
          std::lock_guard l(mu);
          if (first_error.empty()) first_error = Name(i) + ": " + e.what();
        }
      }
    });
  }
  threads.clear();
  return first_error;
}

int Populate(kube::Client& client, const std::string& ns, int count, int writers) {
  auto start = Clock::now();
  std::atomic<int> existed{0};
  auto err = Parallel(count, writers, [&](int i) {
    kube::Json cm = {{"apiVersion", "v1"},
                     {"kind", "ConfigMap"},
                     {"metadata", {{"name", Name(i)}, {"namespace", ns}, {"labels", {{kLabel, kLabelValue}}}}},
                     {"data", {{"payload", Payload(i, 0)}, {"round", "0"}}}};
    try {
      client.Create(kube::resources::kConfigMaps, ns, cm);
    } catch (const kube::AlreadyExistsError&) {
      ++existed;
    }
  });
  if (!err.empty()) {
    std::cerr << "populate failed: " << err << "\n";
    return 1;
  }
  double s = std::chrono::duration<double>(Clock::now() - start).count();
  std::printf("populate count=%d existed=%d seconds=%.1f creates_per_s=%.0f\n", count, existed.load(), s,
              (count - existed.load()) / s);
  return 0;
}

// Counts, per round, the distinct objects whose update the handler has seen; the handler
// can be held (gate) to build a backlog.
class Observer {
 public:
  void OnObject(const kube::ObjectPtr& obj) {
    {
      std::unique_lock l(mu_);
      gate_cv_.wait(l, [&] { return !gate_closed_; });
    }
    const auto& data = (*obj)["data"];
    int round = std::stoi(data.value("round", "0"));
    std::lock_guard l(mu_);
    if (round == watching_ && seen_.insert((*obj)["metadata"].value("name", "")).second) cv_.notify_all();
  }
  void Watch(int round, bool gate_closed) {
    std::lock_guard l(mu_);
    watching_ = round;
    seen_.clear();
    gate_closed_ = gate_closed;
  }
  void OpenGate() {
    {
      std::lock_guard l(mu_);
      gate_closed_ = false;
    }
    gate_cv_.notify_all();
  }
  bool WaitAll(std::size_t n, std::chrono::seconds timeout) {
    std::unique_lock l(mu_);
    return cv_.wait_for(l, timeout, [&] { return seen_.size() >= n; });
  }
  std::size_t Seen() {
    std::lock_guard l(mu_);
    return seen_.size();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_, gate_cv_;
  bool gate_closed_ = false;
  int watching_ = -1;
  std::set<std::string> seen_;
};

// Updates every cached object to `round` (PUT with its cached resourceVersion).
std::string UpdateAll(kube::Client& client, kube::Informer& inf, const std::string& ns, int count, int writers,
                      int round) {
  return Parallel(count, writers, [&](int i) {
    for (int attempt = 0;; ++attempt) {
      auto cached = inf.store()->Get(ns, Name(i));
      if (!cached) throw std::runtime_error("not in cache");
      kube::Json obj = *cached;
      obj["data"] = {{"payload", Payload(i, round)}, {"round", std::to_string(round)}};
      try {
        client.Update(kube::resources::kConfigMaps, ns, obj);
        return;
      } catch (const kube::ConflictError&) {
        if (attempt > 50) throw;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));  // cache not caught up yet
      }
    }
  });
}

double Secs(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

int RunInformer(const std::shared_ptr<kube::RestClient>& client, const std::string& ns, int count, int writers,
                bool keep_managed_fields, bool compact) {
  // Warm the client (TLS, thread pool) so the baseline holds it.
  client->Get(kube::resources::kNamespaces, "", ns);
  malloc_trim(0);
  const long rss0 = RssKb();
  const std::size_t heap0 = HeapBytes();

  Observer obs;
  kube::InformerOptions io;
  io.strip_managed_fields = !keep_managed_fields;
  io.compact = compact;
  kube::Informer inf(client, kube::resources::kConfigMaps, ns, std::string(kLabel) + "=" + kLabelValue, io);
  kube::InformerHandlers h;
  h.on_add = [&](const kube::ObjectPtr& o) { obs.OnObject(o); };
  h.on_update = [&](const kube::ObjectPtr&, const kube::ObjectPtr& o) { obs.OnObject(o); };
  inf.AddHandlers(h);
  obs.Watch(0, false);
  const auto t0 = Clock::now();
  inf.Start();
  if (!inf.WaitForSync(std::stop_token{}, std::chrono::minutes(10))) {
    std::cerr << "informer never synced\n";
    return 1;
  }
  const double list_s = Secs(Clock::now() - t0);
  const auto cached = inf.store()->Size();
  if (cached != static_cast<std::size_t>(count)) {
    std::cerr << "cache holds " << cached << " objects, expected " << count << "\n";
    return 1;
  }
  const long rss1 = RssKb();
  const std::size_t heap1 = HeapBytes();
  const std::size_t heap1_free = HeapFreeBytes();
  std::size_t json_bytes = 0;
  for (const auto& o : inf.store()->List()) json_bytes += o->dump().size();
  malloc_trim(0);
  const long rss1_trim = RssKb();

  // Live: updates as fast as the API server takes them; the handler keeps up or lags.
  obs.Watch(1, false);
  auto t1 = Clock::now();
  auto err = UpdateAll(*client, inf, ns, count, writers, 1);
  const double live_write_s = Secs(Clock::now() - t1);
  if (!err.empty() || !obs.WaitAll(count, std::chrono::minutes(5))) {
    std::cerr << "live round failed: " << err << " seen " << obs.Seen() << "/" << count << "\n";
    return 1;
  }
  const double live_seen_s = Secs(Clock::now() - t1);

  // Backlog: hold the handler (the informer thread) while everything changes again.
  const auto lists_before = inf.lists();
  const auto watches_before = inf.watches();
  obs.Watch(2, true);
  auto t2 = Clock::now();
  err = Parallel(count, writers, [&](int i) {
    // The cache is frozen at round 1 while the handler is held: read fresh for the lock.
    auto cur = client->Get(kube::resources::kConfigMaps, ns, Name(i));
    cur["data"] = {{"payload", Payload(i, 2)}, {"round", "2"}};
    client->Update(kube::resources::kConfigMaps, ns, cur);
  });
  const double backlog_write_s = Secs(Clock::now() - t2);
  const auto open_at = Clock::now();
  obs.OpenGate();
  if (!err.empty() || !obs.WaitAll(count, std::chrono::minutes(5))) {
    std::cerr << "backlog round failed: " << err << " seen " << obs.Seen() << "/" << count << "\n";
    return 1;
  }
  const double drain_s = Secs(Clock::now() - open_at);
  const long rss_end = RssKb();
  inf.Stop();

  std::printf(
      "run objects=%d managed_fields=%s store=%s list_s=%.2f list_obj_per_s=%.0f rss_base_mb=%.1f rss_synced_mb=%.1f rss_trimmed_mb=%.1f "
      "rss_end_mb=%.1f heap_free_mb=%.1f rss_per_obj_kb=%.2f heap_per_obj_kb=%.2f json_per_obj_kb=%.2f "
      "live_write_s=%.2f live_seen_s=%.2f live_events_per_s=%.0f "
      "backlog_write_s=%.2f drain_s=%.2f drain_events_per_s=%.0f relists=%llu rewatches=%llu\n",
      count, keep_managed_fields ? "kept" : "stripped", compact ? "compact" : "parsed", list_s, count / list_s, rss0 / 1024.0, rss1 / 1024.0, rss1_trim / 1024.0, rss_end / 1024.0,
      heap1_free / 1024.0 / 1024.0,
      (rss1 - rss0) / static_cast<double>(count), (static_cast<double>(heap1) - heap0) / 1024.0 / count,
      json_bytes / 1024.0 / count, live_write_s, live_seen_s, count / live_seen_s, backlog_write_s, drain_s,
      count / drain_s, static_cast<unsigned long long>(inf.lists() - lists_before),
      static_cast<unsigned long long>(inf.watches() - watches_before));
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 5) {
    std::cerr << "usage: informer_bench populate|run KUBECONFIG NAMESPACE COUNT [WRITERS] [keep-managed-fields] [compact]\n";
    return 2;
  }
  const std::string mode = argv[1];
  const std::string ns = argv[3];
  const int count = std::stoi(argv[4]);
  const int writers = argc > 5 ? std::stoi(argv[5]) : 16;
  try {
    auto client = std::make_shared<kube::RestClient>(kube::LoadKubeconfigFile(argv[2]));
    if (mode == "populate") return Populate(*client, ns, count, writers);
    const std::set<std::string> flags(argv + std::min(argc, 6), argv + argc);
    if (mode == "run") return RunInformer(client, ns, count, writers, flags.count("keep-managed-fields") > 0, flags.count("compact") > 0);
  } catch (const std::exception& e) {
    std::cerr << "informer_bench: " << e.what() << "\n";
    return 1;
  }
  std::cerr << "unknown mode " << mode << "\n";
  return 2;
}
