#pragma once

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <initializer_list>
#include <map>
#include <memory>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

namespace tenant::metrics {

// A small thread-safe Prometheus registry rendering the text exposition format 0.0.4.
//
// Hot path: a child (one label-value combination) is found once under a shared lock and
// then updated with atomics only; keep the returned reference to skip even that lookup.
// References stay valid for the registry's lifetime.
//
//   auto& requests = registry.Counter("http_requests_total", "HTTP requests.",
//                                     {"method", "route", "status"});
//   requests.WithLabelValues({"GET", "/api/v1/products/{id}", "200"}).Inc();
//   auto& latency = registry.Histogram("http_request_duration_seconds", "Latency.", {"route"},
//                                      metrics::kDefaultBuckets);
//   latency.WithLabelValues({"/health"}).Observe(0.0012);
//   std::string body = registry.Render();   // serve with kContentType

inline constexpr std::string_view kContentType = "text/plain; version=0.0.4; charset=utf-8";

// Prometheus client defaults (seconds).
inline const std::vector<double> kDefaultBuckets = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                                    0.5,   1,    2.5,   5,    10};

class Counter {
 public:
  void Inc(double v = 1.0) noexcept;  // negative v is ignored (counters never go down)
  double Value() const noexcept { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

class Gauge {
 public:
  void Set(double v) noexcept { value_.store(v, std::memory_order_relaxed); }
  void Inc(double v = 1.0) noexcept { value_.fetch_add(v, std::memory_order_relaxed); }
  void Dec(double v = 1.0) noexcept { value_.fetch_sub(v, std::memory_order_relaxed); }
  double Value() const noexcept { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

class Histogram {
 public:
  // `bounds`: strictly increasing finite upper bounds; +Inf is implicit.
  explicit Histogram(std::vector<double> bounds);
  void Observe(double v) noexcept;

  struct Snapshot {
    std::vector<double> bounds;
    std::vector<std::uint64_t> cumulative;  // per bound, cumulative; last entry is +Inf
    double sum = 0;
    std::uint64_t count = 0;
  };
  Snapshot Snap() const;

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<std::uint64_t>[]> counts_;  // bounds_.size() + 1 (last: +Inf)
  std::atomic<double> sum_{0};
};

enum class Type { kCounter, kGauge, kHistogram };

// Orders label-value tuples; transparent so a lookup with string_views allocates nothing.
struct LabelValuesLess {
  using is_transparent = void;
  template <typename A, typename B>
  bool operator()(const A& a, const B& b) const {
    return std::lexicographical_compare(
        a.begin(), a.end(), b.begin(), b.end(),
        [](const auto& x, const auto& y) { return std::string_view(x) < std::string_view(y); });
  }
};

// All children of one metric name: label names fixed at registration.
template <typename T>
class Family {
 public:
  Family(std::string name, std::string help, std::vector<std::string> label_names,
         std::vector<double> buckets = {});

  // Child for these label values (same count and order as the label names); created on
  // first use. Throws std::invalid_argument on a wrong number of values.
  T& WithLabelValues(const std::vector<std::string>& values);
  T& WithLabelValues(std::initializer_list<std::string_view> values);
  // The single child of a family without labels.
  T& Get() { return WithLabelValues(std::vector<std::string>{}); }
  // Drops one child (e.g. a deleted tenant's series). No-op when absent.
  void Remove(const std::vector<std::string>& values);

  const std::string& name() const noexcept { return name_; }
  const std::string& help() const noexcept { return help_; }
  const std::vector<std::string>& label_names() const noexcept { return label_names_; }
  const std::vector<double>& buckets() const noexcept { return buckets_; }

  // Appends this family's HELP, TYPE and samples in text format 0.0.4.
  void RenderTo(std::string& out) const;

 private:
  std::string name_;
  std::string help_;
  std::vector<std::string> label_names_;
  std::vector<double> buckets_;
  mutable std::shared_mutex mu_;
  std::map<std::vector<std::string>, std::unique_ptr<T>, LabelValuesLess> children_;
};

using CounterFamily = Family<Counter>;
using GaugeFamily = Family<Gauge>;
using HistogramFamily = Family<Histogram>;

class Registry {
 public:
  // Registers (or returns the already registered) family. Names must match
  // [a-zA-Z_:][a-zA-Z0-9_:]*, label names [a-zA-Z_][a-zA-Z0-9_]* not starting with "__";
  // histograms may not use the label "le". Registering the same name again with another
  // type, help or label set throws std::invalid_argument.
  CounterFamily& Counter(std::string_view name, std::string_view help,
                         std::vector<std::string> label_names = {});
  GaugeFamily& Gauge(std::string_view name, std::string_view help,
                     std::vector<std::string> label_names = {});
  HistogramFamily& Histogram(std::string_view name, std::string_view help,
                             std::vector<std::string> label_names = {},
                             std::vector<double> buckets = kDefaultBuckets);

  // All families, sorted by name, in text exposition format 0.0.4.
  std::string Render() const;

 private:
  struct Entry {
    Type type;
    std::unique_ptr<CounterFamily> counter;
    std::unique_ptr<GaugeFamily> gauge;
    std::unique_ptr<HistogramFamily> histogram;
  };
  Entry& Lookup(std::string_view name, Type type, std::string_view help,
                const std::vector<std::string>& label_names, const std::vector<double>& buckets);

  mutable std::shared_mutex mu_;
  std::map<std::string, Entry, std::less<>> families_;
};

// Buckets start, start*factor, ... (count of them), like prometheus.ExponentialBuckets.
std::vector<double> ExponentialBuckets(double start, double factor, int count);

// ---- text format helpers (pure; unit-tested) ----
std::string EscapeLabelValue(std::string_view value);  // \\, \", \n
std::string EscapeHelp(std::string_view help);         // \\, \n
std::string FormatValue(double value);                 // shortest round-trip; +Inf, -Inf, NaN
bool IsValidMetricName(std::string_view name);
bool IsValidLabelName(std::string_view name);

}  // namespace tenant::metrics
