#include "runtime/app/cpu_budget.hpp"

#include <sched.h>

#include <algorithm>
#include <charconv>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

namespace tenant::api::app {

std::optional<int> CoresFromCpuMax(std::string_view cpu_max) {
  while (!cpu_max.empty() && (cpu_max.back() == '\n' || cpu_max.back() == ' ')) cpu_max.remove_suffix(1);
  const auto space = cpu_max.find(' ');
  if (space == std::string_view::npos) return std::nullopt;
  const std::string_view quota_text = cpu_max.substr(0, space);
  const std::string_view period_text = cpu_max.substr(space + 1);
  long long quota = 0;
  long long period = 0;
  auto parse = [](std::string_view t, long long& out) {
    auto [p, ec] = std::from_chars(t.data(), t.data() + t.size(), out);
    return ec == std::errc() && p == t.data() + t.size();
  };
  if (quota_text == "max" || !parse(quota_text, quota) || !parse(period_text, period)) return std::nullopt;
  if (quota <= 0 || period <= 0) return std::nullopt;
  return static_cast<int>(std::max<long long>(1, (quota + period - 1) / period));
}

int CpuBudget() {
  int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) == 0) cores = std::max(1, CPU_COUNT(&set));
  std::ifstream in("/sys/fs/cgroup/cpu.max");
  if (in) {
    std::stringstream text;
    text << in.rdbuf();
    if (auto quota = CoresFromCpuMax(text.str())) cores = std::min(cores, *quota);
  }
  return std::max(1, cores);
}

}  // namespace tenant::api::app
