// The core count behind the automatic thread counts: a Pod's cgroup CPU limit counts, not
// the node's cores.
#include <catch2/catch.hpp>

#include "runtime/app/cpu_budget.hpp"

using tenant::api::app::CoresFromCpuMax;
using tenant::api::app::CpuBudget;

TEST_CASE("cpu budget: cgroup v2 cpu.max quotas round up to whole cores", "[app][config]") {
  CHECK(CoresFromCpuMax("200000 100000\n") == 2);
  CHECK(CoresFromCpuMax("150000 100000") == 2);  // 1.5 CPUs: two threads can still run
  CHECK(CoresFromCpuMax("50000 100000\n") == 1);  // below one CPU: still one
  CHECK(CoresFromCpuMax("100000 100000") == 1);
}

TEST_CASE("cpu budget: no limit or an unreadable cpu.max means no cap", "[app][config]") {
  CHECK_FALSE(CoresFromCpuMax("max 100000\n").has_value());
  CHECK_FALSE(CoresFromCpuMax("").has_value());
  CHECK_FALSE(CoresFromCpuMax("garbage").has_value());
  CHECK_FALSE(CoresFromCpuMax("0 100000").has_value());
  CHECK_FALSE(CoresFromCpuMax("100000 0").has_value());
  CHECK_FALSE(CoresFromCpuMax("12x 100000").has_value());
}

TEST_CASE("cpu budget: this process gets at least one core", "[app][config]") {
  CHECK(CpuBudget() >= 1);
}
