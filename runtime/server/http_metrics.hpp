#pragma once
// The server's own metrics (names fixed by the issue). Route labels are templates.
#include <string>
#include <string_view>

#include "common/metrics/metrics.hpp"

namespace tenant::api::server {

class HttpMetrics {
 public:
  explicit HttpMetrics(metrics::Registry& registry);

  void RequestStarted() { in_flight_.Inc(); }
  void RequestFinished(std::string_view method, std::string_view route, int status, double seconds);

  // Where a request handed to a handler (worker or async) spent its time (http_request_phase_seconds), to find
  // where requests wait under load: `admit` read -> rate-limit decision (JWT + Redis),
  // `queue` decision -> a worker picks it up, `handler` the worker's run (pool wait + SQL +
  // response building), `reply` handler done -> the I/O thread starts writing.
  void ObservePhases(double admit, double queue, double handler, double reply) noexcept;

  // Method label restricted to known verbs to bound cardinality.
  static std::string_view MethodLabel(std::string_view method);

 private:
  metrics::CounterFamily& requests_;
  metrics::HistogramFamily& duration_;
  metrics::Gauge& in_flight_;
  metrics::HistogramFamily& phases_;
  metrics::Histogram& admit_;
  metrics::Histogram& queue_;
  metrics::Histogram& handler_;
  metrics::Histogram& reply_;
};

// Registers build_info{version,component} 1.
void RegisterBuildInfo(metrics::Registry& registry);

}  // namespace tenant::api::server
