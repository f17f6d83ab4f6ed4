#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "common/metrics/metrics.hpp"

namespace metrics = tenant::metrics;

TEST_CASE("counter family renders HELP, TYPE and sorted labelled samples", "[metrics]") {
  metrics::Registry r;
  auto& c = r.Counter("http_requests_total", "HTTP requests.", {"method", "status"});
  c.WithLabelValues({"POST", "201"}).Inc();
  c.WithLabelValues({"GET", "200"}).Inc(2);
  c.WithLabelValues({"GET", "200"}).Inc();
  c.WithLabelValues({"GET", "200"}).Inc(-5);  // ignored: counters never go down
  CHECK(r.Render() ==
        "# HELP http_requests_total HTTP requests.\n"
        "# TYPE http_requests_total counter\n"
        "http_requests_total{method=\"GET\",status=\"200\"} 3\n"
        "http_requests_total{method=\"POST\",status=\"201\"} 1\n");
}

TEST_CASE("gauge without labels and value formatting", "[metrics]") {
  metrics::Registry r;
  auto& g = r.Gauge("workqueue_depth", "Depth.").Get();
  g.Set(5);
  g.Inc();
  g.Dec(0.5);
  CHECK(g.Value() == 5.5);
  CHECK(r.Render() == "# HELP workqueue_depth Depth.\n# TYPE workqueue_depth gauge\nworkqueue_depth 5.5\n");
  CHECK(metrics::FormatValue(0.005) == "0.005");
  CHECK(metrics::FormatValue(42) == "42");
  CHECK(metrics::FormatValue(-1) == "-1");
  CHECK(metrics::FormatValue(1e21) == "1e+21");
  CHECK(metrics::FormatValue(std::numeric_limits<double>::infinity()) == "+Inf");
  CHECK(metrics::FormatValue(-std::numeric_limits<double>::infinity()) == "-Inf");
  CHECK(metrics::FormatValue(std::nan("")) == "NaN");
}

TEST_CASE("label values and help text are escaped", "[metrics][escape]") {
  metrics::Registry r;
  r.Counter("x_total", "Help with \\ and\nnewline.", {"route"})
      .WithLabelValues({"/a\"b\\c\nd"})
      .Inc();
  const auto out = r.Render();
  CHECK(out.find("# HELP x_total Help with \\\\ and\\nnewline.\n") != std::string::npos);
  CHECK(out.find("x_total{route=\"/a\\\"b\\\\c\\nd\"} 1\n") != std::string::npos);
  CHECK(metrics::EscapeLabelValue("ü") == "ü");
}

TEST_CASE("histogram renders cumulative buckets, +Inf, _sum and _count", "[metrics][histogram]") {
  metrics::Registry r;
  auto& h = r.Histogram("req_seconds", "Latency.", {"route"}, {0.1, 0.5, 1})
                .WithLabelValues({"/x"});
  for (double v : {0.05, 0.1, 0.3, 0.7, 2.0, 0.1}) h.Observe(v);
  CHECK(r.Render() ==
        "# HELP req_seconds Latency.\n"
        "# TYPE req_seconds histogram\n"
        "req_seconds_bucket{route=\"/x\",le=\"0.1\"} 3\n"
        "req_seconds_bucket{route=\"/x\",le=\"0.5\"} 4\n"
        "req_seconds_bucket{route=\"/x\",le=\"1\"} 5\n"
        "req_seconds_bucket{route=\"/x\",le=\"+Inf\"} 6\n"
        "req_seconds_sum{route=\"/x\"} 3.25\n"
        "req_seconds_count{route=\"/x\"} 6\n");
}

TEST_CASE("histogram without labels and default buckets", "[metrics][histogram]") {
  metrics::Registry r;
  r.Histogram("d_seconds", "D.").Get().Observe(0.003);
  const auto out = r.Render();
  CHECK(out.find("d_seconds_bucket{le=\"0.005\"} 1\n") != std::string::npos);
  CHECK(out.find("d_seconds_bucket{le=\"10\"} 1\n") != std::string::npos);
  CHECK(out.find("d_seconds_bucket{le=\"+Inf\"} 1\n") != std::string::npos);
  CHECK(out.find("d_seconds_count 1\n") != std::string::npos);
  CHECK(metrics::ExponentialBuckets(0.005, 2, 4) == std::vector<double>{0.005, 0.01, 0.02, 0.04});
}

TEST_CASE("families are sorted by name and re-registration returns the same family",
          "[metrics]") {
  metrics::Registry r;
  auto& b = r.Counter("b_total", "B.");
  r.Gauge("a", "A.").Get().Set(1);
  CHECK(&r.Counter("b_total", "B.") == &b);
  const auto out = r.Render();
  CHECK(out.find("# HELP a ") < out.find("# HELP b_total "));
  CHECK(out.find("b_total 0") == std::string::npos);  // a family with no children: no samples
  CHECK_THROWS_AS(r.Gauge("b_total", "B."), std::invalid_argument);
  CHECK_THROWS_AS(r.Counter("b_total", "Other help."), std::invalid_argument);
  CHECK_THROWS_AS(r.Counter("b_total", "B.", {"x"}), std::invalid_argument);
}

TEST_CASE("invalid names, labels, label counts and buckets are rejected", "[metrics]") {
  metrics::Registry r;
  CHECK_THROWS_AS(r.Counter("1abc", "x"), std::invalid_argument);
  CHECK_THROWS_AS(r.Counter("a-b", "x"), std::invalid_argument);
  CHECK_THROWS_AS(r.Counter("ok_total", "x", {"__reserved"}), std::invalid_argument);
  CHECK_THROWS_AS(r.Counter("ok_total", "x", {"a:b"}), std::invalid_argument);
  CHECK_THROWS_AS(r.Histogram("h", "x", {"le"}), std::invalid_argument);
  CHECK_THROWS_AS(r.Histogram("h", "x", {}, {1, 1}), std::invalid_argument);
  CHECK_THROWS_AS(r.Histogram("h", "x", {}, {}), std::invalid_argument);
  auto& f = r.Counter("two_total", "x", {"a", "b"});
  CHECK_THROWS_AS(f.WithLabelValues({"only-one"}), std::invalid_argument);
  CHECK(metrics::IsValidMetricName("ns:sub_total"));
  CHECK(metrics::IsValidLabelName("_x1"));
}

TEST_CASE("Remove drops a child series", "[metrics]") {
  metrics::Registry r;
  auto& f = r.Gauge("tenants", "x", {"tenant"});
  f.WithLabelValues({"a"}).Set(1);
  f.WithLabelValues({"b"}).Set(1);
  f.Remove({"a"});
  const auto out = r.Render();
  CHECK(out.find("tenant=\"a\"") == std::string::npos);
  CHECK(out.find("tenant=\"b\"") != std::string::npos);
}

TEST_CASE("concurrent updates are all counted", "[metrics][concurrency]") {
  metrics::Registry r;
  auto& counter = r.Counter("c_total", "x", {"k"});
  auto& hist = r.Histogram("h_seconds", "x", {"k"}, {1});
  constexpr int kThreads = 8;
  constexpr int kPerThread = 20000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      const std::string key = t % 2 == 0 ? "even" : "odd";
      for (int i = 0; i < kPerThread; ++i) {
        counter.WithLabelValues({key}).Inc();
        hist.WithLabelValues({key}).Observe(i % 2 == 0 ? 0.5 : 2);
        if (i % 1000 == 0) (void)r.Render();  // scrapes racing with updates
      }
    });
  }
  for (auto& t : threads) t.join();
  CHECK(counter.WithLabelValues({"even"}).Value() == kThreads / 2 * kPerThread);
  CHECK(counter.WithLabelValues({"odd"}).Value() == kThreads / 2 * kPerThread);
  const auto snap = hist.WithLabelValues({"even"}).Snap();
  CHECK(snap.count == static_cast<std::uint64_t>(kThreads / 2 * kPerThread));
  CHECK(snap.cumulative[0] == snap.count / 2);
  CHECK(snap.sum == Approx(kThreads / 2 * kPerThread / 2 * 2.5));
}
