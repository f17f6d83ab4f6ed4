// SIGKILL of the operator while 50 tenants are provisioning: after a restart all become
// Ready, no duplicate roles/databases, and every Secret's password works.
#include "tests/e2e/operator/tenant_e2e_env.hpp"

using namespace tenant;
using e2e::Eventually;
using e2e::TenantEnv;
using nlohmann::json;
using namespace std::chrono_literals;

TEST_CASE("SIGKILL during provisioning of 50 tenants, restart: all Ready, nothing duplicated", "[e2e][tenant][faults][crash]") {
  auto& env = TenantEnv::Get();
  const std::string ns = env.NewNamespace("e2e-crash");
  const std::string run = e2e::RandomSuffix();
  constexpr int kTenants = 50;
  for (int i = 0; i < kTenants; ++i) {
    env.admin->Create(api::kTenants, ns,
                      env.Tenant(ns, "c" + std::to_string(i), "crash" + run + "_" + std::to_string(i),
                                 {{"database", {{"deletionPolicy", "Delete"}}}, {"api", {{"replicas", 1}}}}));
  }
  // Let provisioning get going, then kill the operator mid-flight.
  auto su = env.Superuser();
  REQUIRE(Eventually(
      [&] { return su.Exec("SELECT count(*) FROM pg_database WHERE datname LIKE $1", {"erp_tenant_crash" + run + "%"}).Int64(0, 0) > 0; },
      60s));
  env.StopOperator(SIGKILL);
  const long long before_restart =
      su.Exec("SELECT count(*) FROM pg_database WHERE datname LIKE $1", {"erp_tenant_crash" + run + "%"}).Int64(0, 0);
  WARN(before_restart << " of " << kTenants << " databases existed when the operator was killed");
  env.StartOperator();
  INFO("operator log:\n" << env.OperatorLogTail());
  for (int i = 0; i < kTenants; ++i) REQUIRE(env.WaitReady(ns, "c" + std::to_string(i), 300s));

  CHECK(su.Exec("SELECT count(*) FROM pg_database WHERE datname LIKE $1", {"erp_tenant_crash" + run + "%"}).Int64(0, 0) ==
        kTenants);
  CHECK(su.Exec("SELECT count(*) FROM pg_roles WHERE rolname LIKE $1", {"erp_tenant_crash" + run + "%"}).Int64(0, 0) ==
        3 * kTenants);
  for (int i = 0; i < kTenants; ++i) {
    auto s = env.SecretData(ns, "c" + std::to_string(i) + "-db");
    auto conn = env.ConnectWith(s);
    CHECK(conn.Exec("SELECT current_database()").Value(0, 0) == "erp_tenant_crash" + run + "_" + std::to_string(i));
  }
  for (int i = 0; i < kTenants; ++i) env.admin->Delete(api::kTenants, ns, "c" + std::to_string(i));
}

// Benchmark hook (hidden; run explicitly): N tenants through tests/bench/tenants_bench.py
// against this environment's operator. Prints the script's table.
TEST_CASE("bench: tenants", "[.bench]") {
  auto& env = TenantEnv::Get();
  const char* n = std::getenv("BENCH_TENANTS");
  const char* idle = std::getenv("BENCH_IDLE_SECONDS");
  std::string cmd = "SERVER=" + env.server_name + " OPERATOR_PID=" + std::to_string(env.OperatorPid()) +
                    " KUBECONFIG=" + env.cluster.kubeconfig().string() + " KUBECTL=" + env.cluster.kubectl_path().string() +
                    " python3 " + std::string(TENANT_SOURCE_DIR) + "/tests/bench/tenants_bench.py " +
                    (n ? n : "200") + " " + (idle ? idle : "60");
  int rc = std::system(cmd.c_str());
  CHECK(rc == 0);
}
