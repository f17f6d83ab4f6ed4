// SIGKILL of the operator while 50 tenants are provisioning: after a restart all become
// Ready, no duplicate roles/databases, and every Secret's password works (database
// credentials and the first admin's).
#include <unistd.h>

#include <cstdio>
#include <iterator>

#include "common/auth/password.hpp"
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
  int generated_cost = 0;
  for (int i = 0; i < kTenants; ++i) {
    auto s = env.SecretData(ns, "c" + std::to_string(i) + "-db");
    auto conn = env.ConnectWith(s);
    CHECK(conn.Exec("SELECT current_database()").Value(0, 0) == "erp_tenant_crash" + run + "_" + std::to_string(i));
    // The first admin's password in <tenant>-admin logs in (tenant-api verifies it the
    // same way): exactly one user, hashed at cost 10 (a password the operator generated)
    // or 12 (hashed by the restarted operator, which cannot tell who chose the password).
    auto admin = env.SecretData(ns, "c" + std::to_string(i) + "-admin");
    auto users = conn.Exec("SELECT username, password_hash FROM users");
    REQUIRE(users.rows() == 1);
    CHECK(users.Value(0, 0) == admin.at("username"));
    const std::string hash(users.Value(0, 1));
    CHECK((hash.rfind("$2b$10$", 0) == 0 || hash.rfind("$2b$12$", 0) == 0));
    if (hash.rfind("$2b$10$", 0) == 0) ++generated_cost;
    CHECK(auth::VerifyPassword(admin.at("password"), hash));
  }
  WARN(generated_cost << " of " << kTenants << " first admins hashed at the generated-password cost 10");
  for (int i = 0; i < kTenants; ++i) env.admin->Delete(api::kTenants, ns, "c" + std::to_string(i));
}

// VmHWM of a process, from /proc/<pid>/status (0 if unreadable).
static double PeakRssMiB(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("VmHWM:", 0) == 0) return std::stod(line.substr(6)) / 1024.0;
  }
  return 0.0;
}

// Benchmark hook (hidden; run explicitly): N tenants through tests/bench/tenants_bench.py
// against this environment's operator, restarted with the default resync (10m) and
// workers. Then a full re-verification pass: the operator restarted with the N tenants in
// place reconciles every one of them (database observation, schema check on a fresh
// tenant-database connection) like a resync does, plus the initial LIST; its CPU seconds
// bound the cost of one resync. Prints the script's table and these numbers.
//   BENCH_TENANTS (200), BENCH_IDLE_SECONDS (60), BENCH_SINGLE (10),
//   BENCH_KEEP (unset): 1 leaves the tenants in the cluster afterwards,
//   BENCH_DELETION_POLICY (Retain: deleting 1,000 databases would dominate the run),
//   BENCH_LOG_DIR (unset): for a per-phase breakdown, PostgreSQL logs every statement with
//   its duration during the script and its log and the operator's are copied there (run
//   with TENANT_OPERATOR_LOG_LEVEL=debug for the operator's per-reconcile step timings).
TEST_CASE("bench: tenants", "[.bench]") {
  auto& env = TenantEnv::Get();
  auto getenv_or = [](const char* name, const char* fallback) {
    const char* v = std::getenv(name);
    return std::string(v != nullptr && *v != '\0' ? v : fallback);
  };
  const std::string n = getenv_or("BENCH_TENANTS", "200");
  auto restart = [&env] {
    env.StopOperator();
    env.StartOperator({});
    // The supervisor forks the operator a moment after it starts.
    REQUIRE(Eventually([&env] { return env.OperatorPid() > 0; }, 10s));
  };
  restart();
  const std::string ns = "bench-" + e2e::RandomSuffix();
  const std::string kube_env = " KUBECONFIG=" + env.cluster.kubeconfig().string() +
                               " KUBECTL=" + env.cluster.kubectl_path().string();
  std::string cmd = "SERVER=" + env.server_name + " OPERATOR_PID=" + std::to_string(env.OperatorPid()) + kube_env +
                    " python3 " + std::string(TENANT_SOURCE_DIR) + "/tests/bench/tenants_bench.py --tenants " + n +
                    " --idle " + getenv_or("BENCH_IDLE_SECONDS", "60") + " --single " + getenv_or("BENCH_SINGLE", "10") +
                    " --namespace " + ns + " --keep --deletion-policy " + getenv_or("BENCH_DELETION_POLICY", "Retain");
  const std::string log_dir = getenv_or("BENCH_LOG_DIR", "");
  auto log_statements = [&env](const char* ms) {
    auto su = env.Superuser();
    su.Exec(std::string("ALTER SYSTEM SET log_min_duration_statement = ") + ms);
    su.Exec("SELECT pg_reload_conf()");
  };
  if (!log_dir.empty()) log_statements("0");
  int rc = std::system(cmd.c_str());
  CHECK(rc == 0);
  if (!log_dir.empty()) {
    log_statements("-1");
    std::filesystem::create_directories(log_dir);
    std::filesystem::copy_file(env.operator_log(), std::filesystem::path(log_dir) / "operator.log",
                               std::filesystem::copy_options::overwrite_existing);
    std::filesystem::copy_file(std::filesystem::path(env.pg.dir()) / "server.log",
                               std::filesystem::path(log_dir) / "postgres.log",
                               std::filesystem::copy_options::overwrite_existing);
  }

  restart();
  const pid_t pid = env.OperatorPid();
  auto cpu_seconds = [pid] {
    std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
    std::string all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::istringstream rest(all.substr(all.rfind(')') + 2));
    std::vector<std::string> f{std::istream_iterator<std::string>(rest), std::istream_iterator<std::string>()};
    return f.size() > 12 ? (std::stod(f[11]) + std::stod(f[12])) / static_cast<double>(sysconf(_SC_CLK_TCK)) : 0.0;
  };
  // Until 10 s in a row use under 2 % CPU (or 5 minutes).
  const auto start = std::chrono::steady_clock::now();
  double last = cpu_seconds();
  int quiet = 0;
  while (quiet < 10 && std::chrono::steady_clock::now() - start < 300s) {
    std::this_thread::sleep_for(1s);
    const double now = cpu_seconds();
    quiet = now - last < 0.02 ? quiet + 1 : 0;
    last = now;
  }
  const double pass = last;
  const double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() - quiet;
  std::printf("%-52s %12.2f\n", ("re-verification pass of " + n + " tenants (restart), CPU s").c_str(), pass);
  std::printf("%-52s %12.2f\n", "re-verification pass wall time (s)", took);
  std::printf("%-52s %12.3f\n", "  amortized over the default 10m resync (% CPU)", 100.0 * pass / 600.0);
  std::printf("%-52s %12.1f\n", "restarted operator peak RSS (MiB, VmHWM)", PeakRssMiB(pid));
  std::fflush(stdout);
  // BENCH_KEEP=1: leave the tenants for experiments against this cluster (their finalizers
  // then wait for a DatabaseServer that is gone with this process).
  if (getenv_or("BENCH_KEEP", "") == "1") return;
  // Wait for the tenants' finalizers while this process's PostgreSQL still runs: a later
  // run's operator could not clean them up.
  env.cluster.Kubectl({"delete", "tenants", "--all", "-n", ns, "--timeout=900s"}, {}, std::chrono::seconds(960));
  env.cluster.Kubectl({"delete", "namespace", ns, "--wait=false"});
}
