#pragma once
// How many cores this process may use, for the automatic thread counts (IO_THREADS=0,
// WORKER_THREADS=0). std::thread::hardware_concurrency() counts the node's cores, but in a
// Pod with a CPU limit the cgroup quota is what the process gets: a tenant-api limited to
// one CPU on a 32-core node would otherwise start 32 I/O threads that only take turns.
#include <optional>
#include <string_view>

namespace tenant::api::app {

// Cores granted by a cgroup v2 `cpu.max` file ("<quota> <period>" or "max <period>"),
// rounded up; nullopt when unlimited or unreadable.
std::optional<int> CoresFromCpuMax(std::string_view cpu_max);

// min(CPUs in this thread's affinity mask, the cgroup v2 quota of /sys/fs/cgroup/cpu.max),
// at least 1.
int CpuBudget();

}  // namespace tenant::api::app
