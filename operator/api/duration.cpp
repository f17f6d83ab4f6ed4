#include "operator/api/duration.hpp"

#include <cctype>
#include <cmath>

namespace tenant::api {

std::optional<std::chrono::milliseconds> ParseGoDuration(std::string_view text) {
  if (text.empty()) return std::nullopt;
  double total_ms = 0;
  std::size_t i = 0;
  while (i < text.size()) {
    std::size_t start = i;
    while (i < text.size() && (std::isdigit(static_cast<unsigned char>(text[i])) || text[i] == '.')) ++i;
    if (i == start) return std::nullopt;
    double value = 0;
    try {
      value = std::stod(std::string(text.substr(start, i - start)));
    } catch (...) {
      return std::nullopt;
    }
    std::size_t unit_start = i;
    while (i < text.size() && std::isalpha(static_cast<unsigned char>(text[i]))) ++i;
    std::string_view unit = text.substr(unit_start, i - unit_start);
    double factor = 0;
    if (unit == "ns") factor = 1e-6;
    else if (unit == "us") factor = 1e-3;
    else if (unit == "ms") factor = 1;
    else if (unit == "s") factor = 1e3;
    else if (unit == "m") factor = 60e3;
    else if (unit == "h") factor = 3600e3;
    else return std::nullopt;
    total_ms += value * factor;
  }
  if (!std::isfinite(total_ms) || total_ms > 1e15) return std::nullopt;
  return std::chrono::milliseconds(static_cast<long long>(std::llround(total_ms)));
}

std::string FormatDuration(std::chrono::milliseconds d) {
  long long ms = d.count();
  if (ms < 1000) return std::to_string(ms) + "ms";
  long long s = ms / 1000;
  if (s < 60) return std::to_string(s) + "s";
  long long m = s / 60;
  s %= 60;
  if (m < 60) return std::to_string(m) + "m" + std::to_string(s) + "s";
  long long h = m / 60;
  m %= 60;
  return std::to_string(h) + "h" + std::to_string(m) + "m" + std::to_string(s) + "s";
}

}  // namespace tenant::api
