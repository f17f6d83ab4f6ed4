#include "runtime/server/http_metrics.hpp"

namespace tenant::api::server {

HttpMetrics::HttpMetrics(metrics::Registry& registry)
    : requests_(registry.Counter("http_requests_total", "HTTP requests answered.",
                                 {"method", "route", "status"})),
      duration_(registry.Histogram("http_request_duration_seconds",
                                   "Time from the request being read to the response being handed to the socket.",
                                   {"method", "route"},
                                   {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10})),
      in_flight_(registry.Gauge("http_requests_in_flight", "HTTP requests being processed.").Get()),
      phases_(registry.Histogram("http_request_phase_seconds",
                                 "Time of requests by phase: admit (auth and rate limit), queue (waiting for a worker "
                                 "or the I/O thread), handler (handler run, pool wait and SQL included), reply "
                                 "(waiting for the I/O thread).",
                                 {"phase"}, metrics::ExponentialBuckets(0.0000625, 2, 16))),
      admit_(phases_.WithLabelValues({"admit"})),
      queue_(phases_.WithLabelValues({"queue"})),
      handler_(phases_.WithLabelValues({"handler"})),
      reply_(phases_.WithLabelValues({"reply"})) {}

void HttpMetrics::ObservePhases(double admit, double queue, double handler, double reply) noexcept {
  admit_.Observe(admit);
  queue_.Observe(queue);
  handler_.Observe(handler);
  reply_.Observe(reply);
}

std::string_view HttpMetrics::MethodLabel(std::string_view m) {
  for (std::string_view known : {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}) {
    if (m == known) return known;
  }
  return "OTHER";
}

void HttpMetrics::RequestFinished(std::string_view method, std::string_view route, int status,
                                  double seconds) {
  in_flight_.Dec();
  auto m = MethodLabel(method);
  auto s = std::to_string(status);
  requests_.WithLabelValues({m, route, std::string_view(s)}).Inc();
  duration_.WithLabelValues({m, route}).Observe(seconds);
}

void RegisterBuildInfo(metrics::Registry& registry) {
  registry.Gauge("build_info", "Build information of this binary.", {"version", "component"})
      .WithLabelValues({TENANT_VERSION, "tenant-api"})
      .Set(1);
}

}  // namespace tenant::api::server
