#include "common/metrics/metrics.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <mutex>
#include <stdexcept>

namespace tenant::metrics {

// ---- text helpers -----------------------------------------------------------------------

std::string EscapeLabelValue(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    switch (c) {
      case '\\': out += "\\\\"; break;
      case '"': out += "\\\""; break;
      case '\n': out += "\\n"; break;
      default: out.push_back(c);
    }
  }
  return out;
}

std::string EscapeHelp(std::string_view help) {
  std::string out;
  out.reserve(help.size());
  for (char c : help) {
    switch (c) {
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      default: out.push_back(c);
    }
  }
  return out;
}

std::string FormatValue(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  char buf[64];
  // Shortest representation that round-trips (e.g. 0.005, 42, 1e+21).
  const auto [ptr, ec] = std::to_chars(buf, buf + sizeof buf, value);
  if (ec != std::errc()) return "NaN";
  return std::string(buf, ptr);
}

bool IsValidMetricName(std::string_view name) {
  if (name.empty()) return false;
  for (std::size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' ||
                    (i > 0 && c >= '0' && c <= '9');
    if (!ok) return false;
  }
  return true;
}

bool IsValidLabelName(std::string_view name) {
  if (name.empty() || name.starts_with("__")) return false;
  for (std::size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
                    (i > 0 && c >= '0' && c <= '9');
    if (!ok) return false;
  }
  return true;
}

std::vector<double> ExponentialBuckets(double start, double factor, int count) {
  if (start <= 0 || factor <= 1 || count < 1) {
    throw std::invalid_argument("ExponentialBuckets needs start > 0, factor > 1, count >= 1");
  }
  std::vector<double> out;
  out.reserve(static_cast<std::size_t>(count));
  for (int i = 0; i < count; ++i, start *= factor) out.push_back(start);
  return out;
}

// ---- children ---------------------------------------------------------------------------

void Counter::Inc(double v) noexcept {
  if (v > 0) value_.fetch_add(v, std::memory_order_relaxed);
}

Histogram::Histogram(std::vector<double> bounds)
    : bounds_(std::move(bounds)),
      counts_(std::make_unique<std::atomic<std::uint64_t>[]>(bounds_.size() + 1)) {}

void Histogram::Observe(double v) noexcept {
  // Non-cumulative bucket counts on the hot path; Snap() accumulates.
  // First bound >= v (bucket "le"); NaN belongs to +Inf only.
  const auto it = std::isnan(v) ? bounds_.end() : std::lower_bound(bounds_.begin(), bounds_.end(), v);
  const auto index = static_cast<std::size_t>(it - bounds_.begin());
  counts_[index].fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(v, std::memory_order_relaxed);
}

Histogram::Snapshot Histogram::Snap() const {
  Snapshot s;
  s.bounds = bounds_;
  s.cumulative.resize(bounds_.size() + 1);
  std::uint64_t running = 0;
  for (std::size_t i = 0; i <= bounds_.size(); ++i) {
    running += counts_[i].load(std::memory_order_relaxed);
    s.cumulative[i] = running;
  }
  // _count is the +Inf bucket by construction, so the exposition stays self-consistent
  // even while observations race with a scrape.
  s.count = running;
  s.sum = sum_.load(std::memory_order_relaxed);
  return s;
}

// ---- families ---------------------------------------------------------------------------

namespace {

template <typename T>
std::unique_ptr<T> MakeChild(const std::vector<double>& buckets) {
  if constexpr (std::is_same_v<T, Histogram>) {
    return std::make_unique<Histogram>(buckets);
  } else {
    return std::make_unique<T>();
  }
}

template <typename T>
constexpr std::string_view TypeName() {
  if constexpr (std::is_same_v<T, Counter>) return "counter";
  if constexpr (std::is_same_v<T, Gauge>) return "gauge";
  return "histogram";
}

void AppendLabels(std::string& out, const std::vector<std::string>& names,
                  const std::vector<std::string>& values, std::string_view extra_name = {},
                  std::string_view extra_value = {}) {
  if (names.empty() && extra_name.empty()) return;
  out.push_back('{');
  bool first = true;
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (!first) out.push_back(',');
    first = false;
    out += names[i];
    out += "=\"";
    out += EscapeLabelValue(values[i]);
    out.push_back('"');
  }
  if (!extra_name.empty()) {
    if (!first) out.push_back(',');
    out += extra_name;
    out += "=\"";
    out += extra_value;
    out.push_back('"');
  }
  out.push_back('}');
}

}  // namespace

template <typename T>
Family<T>::Family(std::string name, std::string help, std::vector<std::string> label_names,
                  std::vector<double> buckets)
    : name_(std::move(name)),
      help_(std::move(help)),
      label_names_(std::move(label_names)),
      buckets_(std::move(buckets)) {}

template <typename T>
T& Family<T>::WithLabelValues(const std::vector<std::string>& values) {
  if (values.size() != label_names_.size()) {
    throw std::invalid_argument("metric " + name_ + " expects " +
                                std::to_string(label_names_.size()) + " label values, got " +
                                std::to_string(values.size()));
  }
  {
    std::shared_lock lock(mu_);
    if (auto it = children_.find(values); it != children_.end()) return *it->second;
  }
  std::unique_lock lock(mu_);
  auto& slot = children_[values];
  if (!slot) slot = MakeChild<T>(buckets_);
  return *slot;
}

template <typename T>
T& Family<T>::WithLabelValues(std::initializer_list<std::string_view> values) {
  // Fast path for the hot case (child exists): no allocation, shared lock only.
  if (values.size() == label_names_.size()) {
    std::shared_lock lock(mu_);
    if (auto it = children_.find(values); it != children_.end()) return *it->second;
  }
  std::vector<std::string> v;
  v.reserve(values.size());
  for (auto s : values) v.emplace_back(s);
  return WithLabelValues(v);
}

template <typename T>
void Family<T>::Remove(const std::vector<std::string>& values) {
  std::unique_lock lock(mu_);
  children_.erase(values);
}

template <typename T>
void Family<T>::RenderTo(std::string& out) const {
  out += "# HELP ";
  out += name_;
  out.push_back(' ');
  out += EscapeHelp(help_);
  out += "\n# TYPE ";
  out += name_;
  out.push_back(' ');
  out += TypeName<T>();
  out.push_back('\n');
  std::shared_lock lock(mu_);
  for (const auto& [values, child] : children_) {
    if constexpr (std::is_same_v<T, Histogram>) {
      const auto snap = child->Snap();
      for (std::size_t i = 0; i <= snap.bounds.size(); ++i) {
        out += name_;
        out += "_bucket";
        AppendLabels(out, label_names_, values, "le",
                     i < snap.bounds.size() ? FormatValue(snap.bounds[i]) : "+Inf");
        out.push_back(' ');
        out += std::to_string(snap.cumulative[i]);
        out.push_back('\n');
      }
      out += name_;
      out += "_sum";
      AppendLabels(out, label_names_, values);
      out.push_back(' ');
      out += FormatValue(snap.sum);
      out.push_back('\n');
      out += name_;
      out += "_count";
      AppendLabels(out, label_names_, values);
      out.push_back(' ');
      out += std::to_string(snap.count);
      out.push_back('\n');
    } else {
      out += name_;
      AppendLabels(out, label_names_, values);
      out.push_back(' ');
      out += FormatValue(child->Value());
      out.push_back('\n');
    }
  }
}

template class Family<Counter>;
template class Family<Gauge>;
template class Family<Histogram>;

// ---- registry ---------------------------------------------------------------------------

Registry::Entry& Registry::Lookup(std::string_view name, Type type, std::string_view help,
                                  const std::vector<std::string>& label_names,
                                  const std::vector<double>& buckets) {
  if (!IsValidMetricName(name)) {
    throw std::invalid_argument("invalid metric name \"" + std::string(name) + "\"");
  }
  for (const auto& l : label_names) {
    if (!IsValidLabelName(l) || (type == Type::kHistogram && l == "le")) {
      throw std::invalid_argument("invalid label name \"" + l + "\" for metric " +
                                  std::string(name));
    }
  }
  if (type == Type::kHistogram) {
    if (buckets.empty()) throw std::invalid_argument("histogram " + std::string(name) + " has no buckets");
    for (std::size_t i = 0; i < buckets.size(); ++i) {
      if (!std::isfinite(buckets[i]) || (i > 0 && buckets[i] <= buckets[i - 1])) {
        throw std::invalid_argument("histogram " + std::string(name) +
                                    " buckets must be finite and strictly increasing");
      }
    }
  }
  std::unique_lock lock(mu_);
  if (auto it = families_.find(name); it != families_.end()) {
    Entry& e = it->second;
    const std::string* old_help = nullptr;
    const std::vector<std::string>* old_labels = nullptr;
    switch (e.type) {
      case Type::kCounter: old_help = &e.counter->help(); old_labels = &e.counter->label_names(); break;
      case Type::kGauge: old_help = &e.gauge->help(); old_labels = &e.gauge->label_names(); break;
      case Type::kHistogram:
        old_help = &e.histogram->help();
        old_labels = &e.histogram->label_names();
        if (type == Type::kHistogram && e.histogram->buckets() != buckets) {
          throw std::invalid_argument("metric " + std::string(name) +
                                      " already registered with other buckets");
        }
        break;
    }
    if (e.type != type || *old_help != help || *old_labels != label_names) {
      throw std::invalid_argument("metric " + std::string(name) +
                                  " already registered with another type, help or labels");
    }
    return e;
  }
  Entry e{type, nullptr, nullptr, nullptr};
  switch (type) {
    case Type::kCounter:
      e.counter = std::make_unique<CounterFamily>(std::string(name), std::string(help), label_names);
      break;
    case Type::kGauge:
      e.gauge = std::make_unique<GaugeFamily>(std::string(name), std::string(help), label_names);
      break;
    case Type::kHistogram:
      e.histogram = std::make_unique<HistogramFamily>(std::string(name), std::string(help),
                                                      label_names, buckets);
      break;
  }
  return families_.emplace(std::string(name), std::move(e)).first->second;
}

CounterFamily& Registry::Counter(std::string_view name, std::string_view help,
                                 std::vector<std::string> label_names) {
  return *Lookup(name, Type::kCounter, help, label_names, {}).counter;
}

GaugeFamily& Registry::Gauge(std::string_view name, std::string_view help,
                             std::vector<std::string> label_names) {
  return *Lookup(name, Type::kGauge, help, label_names, {}).gauge;
}

HistogramFamily& Registry::Histogram(std::string_view name, std::string_view help,
                                     std::vector<std::string> label_names,
                                     std::vector<double> buckets) {
  return *Lookup(name, Type::kHistogram, help, label_names, buckets).histogram;
}

std::string Registry::Render() const {
  std::string out;
  std::shared_lock lock(mu_);
  for (const auto& [name, e] : families_) {
    switch (e.type) {
      case Type::kCounter: e.counter->RenderTo(out); break;
      case Type::kGauge: e.gauge->RenderTo(out); break;
      case Type::kHistogram: e.histogram->RenderTo(out); break;
    }
  }
  return out;
}

}  // namespace tenant::metrics
