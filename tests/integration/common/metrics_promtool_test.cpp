#include <catch2/catch.hpp>

#include <fstream>
#include <string>

#include "common/metrics/metrics.hpp"
#include "tests/support/child_process.hpp"
#include "tests/support/temp_dir.hpp"

namespace metrics = tenant::metrics;

// promtool (Debian package `prometheus`) is the reference parser and linter for the text
// exposition format; a missing promtool fails the test (RunCommand throws).
TEST_CASE("rendered metrics pass promtool check metrics", "[metrics][promtool][integration]") {
  metrics::Registry r;
  auto& requests = r.Counter("http_requests_total", "Total HTTP requests.", {"method", "route", "status"});
  requests.WithLabelValues({"GET", "/api/v1/products/{id}", "200"}).Inc(3);
  requests.WithLabelValues({"POST", "/api/v1/orders", "409"}).Inc();
  requests.WithLabelValues({"GET", "/weird\"path\\with\nnewline", "404"}).Inc();
  r.Gauge("http_requests_in_flight", "Requests being served.").Get().Set(2);
  r.Gauge("db_pool_connections", "Pool connections by state.", {"state"})
      .WithLabelValues({"idle"})
      .Set(4);
  auto& latency = r.Histogram("http_request_duration_seconds", "Request latency.", {"route"});
  for (double v : {0.001, 0.02, 0.2, 3.0, 30.0}) latency.WithLabelValues({"/health"}).Observe(v);
  r.Histogram("workqueue_queue_duration_seconds", "Time in queue.", {"name"},
              metrics::ExponentialBuckets(1e-8, 10, 10))
      .WithLabelValues({"tenant"})
      .Observe(0.5);
  r.Gauge("build_info", "Build information.", {"version", "revision"})
      .WithLabelValues({"0.1.0", "abc"})
      .Set(1);

  tenant::test::TempDir tmp("promtool");
  const auto file = tmp.path() / "metrics.txt";
  std::ofstream(file) << r.Render();
  // promtool reads the exposition on stdin and exits non-zero on parse errors or lint problems.
  const auto out = tenant::test::RunCommand(
      {"sh", "-c", "promtool check metrics < '" + file.string() + "'"}, std::chrono::seconds(30));
  INFO(out);
  CHECK(out.find("error") == std::string::npos);
}

TEST_CASE("promtool rejects what it should (the check is not vacuous)", "[metrics][promtool][integration]") {
  tenant::test::TempDir tmp("promtool-bad");
  const auto file = tmp.path() / "bad.txt";
  std::ofstream(file) << "# TYPE x counter\nx{a=\"unterminated} 1\n";
  CHECK_THROWS_AS(tenant::test::RunCommand({"sh", "-c", "promtool check metrics < '" + file.string() + "'"},
                                           std::chrono::seconds(30)),
                  std::runtime_error);
}
