#include "operator/kube/event_recorder.hpp"

#include <cstdio>
#include <functional>
#include <random>

#include "common/log/log.hpp"
#include "operator/kube/leader_election.hpp"
#include "operator/kube/objects.hpp"

namespace tenant::kube {
namespace {
constexpr auto kSeriesWindow = std::chrono::minutes(6);
constexpr auto kSeriesWriteInterval = std::chrono::seconds(30);
constexpr auto kPruneInterval = std::chrono::minutes(1);
constexpr std::size_t kMaxNote = 1024;
constexpr std::size_t kMaxSeries = 4096;

std::string RandomSuffix() {
  static thread_local std::mt19937_64 gen(std::random_device{}());
  char buf[17];
  std::snprintf(buf, sizeof(buf), "%016llx", static_cast<unsigned long long>(gen()));
  return buf;
}
}  // namespace

std::string TruncateUtf8(std::string_view s, std::size_t max) {
  if (s.size() <= max) return std::string(s);
  std::size_t end = max;
  // Step back over continuation bytes (10xxxxxx) so a multi-byte character is not cut.
  while (end > 0 && (static_cast<unsigned char>(s[end]) & 0xC0) == 0x80) --end;
  return std::string(s.substr(0, end));
}

nlohmann::json BuildEvent(const nlohmann::json& regarding, EventType type, std::string_view reason,
                          std::string_view action, std::string_view note, std::string_view controller,
                          std::string_view instance, std::chrono::system_clock::time_point now) {
  std::string ns = Namespace(regarding);
  if (ns.empty()) ns = "default";  // cluster-scoped objects: events live in "default", as kubectl expects
  nlohmann::json ref{{"apiVersion", regarding.value("apiVersion", "")},
                     {"kind", regarding.value("kind", "")},
                     {"name", Name(regarding)}};
  if (!Namespace(regarding).empty()) ref["namespace"] = Namespace(regarding);
  if (!Uid(regarding).empty()) ref["uid"] = Uid(regarding);
  if (!ResourceVersion(regarding).empty()) ref["resourceVersion"] = ResourceVersion(regarding);
  return nlohmann::json{{"apiVersion", "events.k8s.io/v1"},
                        {"kind", "Event"},
                        {"metadata", {{"name", Name(regarding) + "." + RandomSuffix()}, {"namespace", ns}}},
                        {"eventTime", FormatMicroTime(now)},
                        {"reportingController", controller},
                        {"reportingInstance", instance},
                        {"action", action},
                        {"reason", reason},
                        {"note", TruncateUtf8(note, kMaxNote)},
                        {"type", type == EventType::kNormal ? "Normal" : "Warning"},
                        {"regarding", ref}};
}

ApiEventRecorder::ApiEventRecorder(std::shared_ptr<Client> client, std::string reporting_controller,
                                   std::string reporting_instance)
    : client_(std::move(client)), controller_(std::move(reporting_controller)), instance_(std::move(reporting_instance)) {
  thread_ = std::jthread([this](std::stop_token st) { Loop(st); });
}

ApiEventRecorder::~ApiEventRecorder() {
  thread_.request_stop();
  cv_.notify_all();
}

void ApiEventRecorder::Event(const nlohmann::json& regarding, EventType type, std::string_view reason,
                             std::string_view action, std::string_view note) {
  try {
    const auto now = std::chrono::steady_clock::now();
    // The series is identified by a 64-bit hash of what makes an Event distinct: 16 bytes
    // (no allocation) instead of up to 1 KiB of note per series. A collision among a few
    // thousand live series (~1e-12) would only fold one Event into another's count.
    const std::string identity = Uid(regarding) + "|" + Namespace(regarding) + "/" + Name(regarding) + "|" +
                                 (type == EventType::kNormal ? "N" : "W") + "|" + std::string(reason) + "|" +
                                 std::string(action) + "|" + TruncateUtf8(note, kMaxNote);
    char hex[17];
    std::snprintf(hex, sizeof(hex), "%016zx", std::hash<std::string>{}(identity));
    std::string key(hex);
    std::lock_guard lock(mu_);
    auto it = series_.find(key);
    if (it != series_.end() && now - it->second.last_seen < kSeriesWindow) {
      it->second.count++;
      it->second.last_seen = now;
      it->second.last_seen_wall = std::chrono::system_clock::now();
      unwritten_.insert(key);  // the loop decides when to write the series
      return;
    }
    if (series_.size() >= kMaxSeries) PruneLocked(now);  // bound memory between regular prunes
    Series s;
    s.first_seen = s.last_seen = s.last_write = now;
    s.last_seen_wall = std::chrono::system_clock::now();
    series_[key] = s;
    queue_.push_back({key, BuildEvent(regarding, type, reason, action, note, controller_, instance_,
                                      std::chrono::system_clock::now())});
    cv_.notify_all();
  } catch (const std::exception& e) {
    log::Warn("Dropping event", {{"reason", std::string(reason)}, {"error", e.what()}});
  }
}

void ApiEventRecorder::WriteSeries(const std::string& key) {
  // Called without the lock held; reads a snapshot.
  std::string ns, name;
  int count;
  std::chrono::system_clock::time_point last;
  {
    std::lock_guard lock(mu_);
    auto it = series_.find(key);
    if (it == series_.end() || it->second.name.empty()) return;
    ns = it->second.ns;
    name = it->second.name;
    count = it->second.count;
    last = it->second.last_seen_wall;
    it->second.written_count = count;
    it->second.last_write = std::chrono::steady_clock::now();
    unwritten_.erase(key);
  }
  nlohmann::json patch{{"series", {{"count", count}, {"lastObservedTime", FormatMicroTime(last)}}}};
  try {
    client_->Patch(resources::kEvents, ns, name, PatchType::kMergePatch, patch);
  } catch (const std::exception& e) {
    log::Debug("Event series update failed", {{"event", name}, {"error", e.what()}});
  }
}

void ApiEventRecorder::PruneLocked(std::chrono::steady_clock::time_point now) {
  last_prune_ = now;
  std::erase_if(series_, [&](const auto& kv) {
    if (now - kv.second.last_seen < kSeriesWindow) return false;
    // A count still to be written is kept until the loop has patched it.
    if (!kv.second.name.empty() && unwritten_.count(kv.first) > 0) return false;
    unwritten_.erase(kv.first);
    return true;
  });
}

void ApiEventRecorder::Loop(std::stop_token stop) {
  while (!stop.stop_requested()) {
    Pending p;
    std::vector<std::string> due;
    {
      std::unique_lock lock(mu_);
      // Woken by a queued event; otherwise once a second while counts wait to be written,
      // else only to prune.
      const auto wait = unwritten_.empty() ? std::chrono::duration_cast<std::chrono::seconds>(kPruneInterval)
                                           : std::chrono::seconds(1);
      cv_.wait_for(lock, stop, wait, [&] { return !queue_.empty(); });
      if (stop.stop_requested()) return;
      const auto now = std::chrono::steady_clock::now();
      for (const auto& k : unwritten_) {
        auto it = series_.find(k);
        if (it != series_.end() && !it->second.name.empty() && now - it->second.last_write >= kSeriesWriteInterval) {
          due.push_back(k);
        }
      }
      if (now - last_prune_ >= kPruneInterval) PruneLocked(now);
      if (!queue_.empty()) {
        p = std::move(queue_.front());
        queue_.pop_front();
        busy_ = true;
      }
    }
    if (!p.key.empty()) {
      try {
        auto created = client_->Create(resources::kEvents, Namespace(p.event), p.event);
        std::lock_guard lock(mu_);
        if (auto it = series_.find(p.key); it != series_.end()) {
          it->second.ns = Namespace(created);
          it->second.name = Name(created);
        }
      } catch (const std::exception& e) {
        log::Warn("Failed to write event", {{"reason", p.event.value("reason", "")}, {"error", e.what()}});
      }
      std::lock_guard lock(mu_);
      busy_ = false;
    }
    for (const auto& k : due) WriteSeries(k);
  }
}

void ApiEventRecorder::Flush(std::chrono::milliseconds timeout) {
  auto until = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    {
      std::lock_guard lock(mu_);
      if (queue_.empty() && !busy_) break;
    }
    if (std::chrono::steady_clock::now() >= until) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  // Write pending series counts now.
  std::vector<std::string> keys;
  {
    std::lock_guard lock(mu_);
    for (const auto& k : unwritten_) {
      auto it = series_.find(k);
      if (it != series_.end() && !it->second.name.empty()) keys.push_back(k);
    }
  }
  for (const auto& k : keys) WriteSeries(k);
}

}  // namespace tenant::kube
