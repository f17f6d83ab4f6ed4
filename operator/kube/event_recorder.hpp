#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>

#include "operator/kube/client.hpp"
#include "operator/kube/events.hpp"

namespace tenant::kube {

// Pure part of the recorder: builds the events.k8s.io/v1 Event body.
nlohmann::json BuildEvent(const nlohmann::json& regarding, EventType type, std::string_view reason,
                          std::string_view action, std::string_view note, std::string_view controller,
                          std::string_view instance, std::chrono::system_clock::time_point now);
// Cuts to at most `max` bytes without splitting a UTF-8 sequence.
std::string TruncateUtf8(std::string_view s, std::size_t max);

// EventRecorder writing events.k8s.io/v1 Events from a background thread.
//  - First occurrence of (object uid, type, reason, action, note): a new Event.
//  - Repeats within 6 minutes: the same Event gets a `series` {count, lastObservedTime};
//    the series is patched at most every 30 s (pending counts flushed by the thread, within
//    about a minute; series idle for 6 minutes are forgotten), so
//    a flapping reconcile produces one Event, not a flood.
class ApiEventRecorder final : public EventRecorder {
 public:
  ApiEventRecorder(std::shared_ptr<Client> client, std::string reporting_controller, std::string reporting_instance);
  ~ApiEventRecorder() override;

  void Event(const nlohmann::json& regarding, EventType type, std::string_view reason, std::string_view action,
             std::string_view note) override;
  // Waits until queued events are written (tests, shutdown), at most `timeout`.
  void Flush(std::chrono::milliseconds timeout);

 private:
  struct Series {
    std::string ns, name;           // the Event object; empty until created
    int count = 1;
    int written_count = 1;
    std::chrono::steady_clock::time_point first_seen, last_seen, last_write;
    std::chrono::system_clock::time_point last_seen_wall;
  };
  struct Pending {
    std::string key;
    nlohmann::json event;           // for new events
  };
  void Loop(std::stop_token stop);
  void WriteSeries(const std::string& key);
  // Forgets series idle longer than the window whose count is written (or whose Event was
  // never created). Called with mu_ held.
  void PruneLocked(std::chrono::steady_clock::time_point now);

  std::shared_ptr<Client> client_;
  std::string controller_, instance_;
  std::mutex mu_;
  std::condition_variable_any cv_;
  std::deque<Pending> queue_;
  std::map<std::string, Series> series_;
  // Keys of series whose count is ahead of the Event's: the only ones the thread looks at
  // (walking every series each second cost 1% of a core with 200 idle tenants).
  std::set<std::string> unwritten_;
  std::chrono::steady_clock::time_point last_prune_ = std::chrono::steady_clock::now();
  bool busy_ = false;
  std::jthread thread_;
};

}  // namespace tenant::kube
