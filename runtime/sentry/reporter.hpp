#pragma once
// Asynchronous Sentry reporting: Capture() only copies the event into a bounded queue
// (never blocks, never does I/O on the request path); one background thread sends the
// envelopes with cpprestsdk. A full queue drops the event and counts it in
// sentry_events_dropped_total; send failures are counted in sentry_events_failed_total.
#include <condition_variable>
#include <deque>
#include <mutex>
#include <string>
#include <thread>

#include "common/metrics/metrics.hpp"
#include "runtime/sentry/envelope.hpp"

namespace tenant::api::sentry {

struct ReporterOptions {
  Dsn dsn;
  std::size_t queue_capacity = 100;
  std::chrono::milliseconds send_timeout{5000};
};

class Reporter {
 public:
  Reporter(ReporterOptions options, metrics::Registry& registry);
  ~Reporter();  // Flush(2 s) then stop
  Reporter(const Reporter&) = delete;
  Reporter& operator=(const Reporter&) = delete;

  // Returns false when the event was dropped (queue full or stopped).
  bool Capture(const EventInput& input);
  // Waits until the queue is empty and nothing is being sent, or the timeout passes.
  bool Flush(std::chrono::milliseconds timeout);

 private:
  void Loop();
  void Send(const std::string& body);

  ReporterOptions options_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::condition_variable idle_cv_;
  std::deque<std::string> queue_;  // envelopes
  bool sending_ = false;
  bool stop_ = false;
  metrics::Counter& sent_;
  metrics::Counter& dropped_;
  metrics::Counter& failed_;
  std::thread thread_;
};

}  // namespace tenant::api::sentry
