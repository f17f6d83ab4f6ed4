#pragma once
// Shared environment of the Tenant e2e tests: the fixture's local control plane, a real
// TLS PostgreSQL, the CRDs + RBAC + admission policy from crds/ and manifests/, one
// DatabaseServer, and the tenant-operator binary running as the ServiceAccount of
// manifests/rbac (a minted kubeconfig, not admin). Set up once per test process. On a
// failed assertion, operator_log_on_failure.cpp prints the operator's log tail.
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <thread>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "common/pg/connection.hpp"
#include "common/pg/conninfo.hpp"
#include "operator/api/resources.hpp"
#include "operator/kube/config.hpp"
#include "operator/kube/rest_client.hpp"
#include "operator/specs/secrets.hpp"
#include "tests/e2e/operator/kube_e2e_support.hpp"
#include "tests/e2e/operator/operator_rbac.hpp"
#include "tests/support/child_process.hpp"
#include "tests/support/local_cluster.hpp"
#include "tests/support/postgres_server.hpp"
#include "tests/support/temp_dir.hpp"

namespace tenant::e2e {

using nlohmann::json;

using kube_e2e::Eventually;
using kube_e2e::RandomSuffix;

// "<prefix>_<six digits>": a tenantId no other test or earlier run uses.
inline std::string UniqueTenantId(const std::string& prefix) { return prefix + "_" + RandomSuffix(); }

class TenantEnv {
 public:
  static TenantEnv& Get() {
    static TenantEnv env;
    return env;
  }
  // The environment if Get() has set it up, else nullptr (for reporting, never starts it).
  static TenantEnv* IfStarted() { return started_; }

  test::LocalCluster& cluster;
  test::PostgresServer& pg;
  std::shared_ptr<kube::RestClient> admin;  // test-side client (admin)
  test::TempDir dir{"tenant-e2e"};
  std::string server_name = "e2e-pg-" + RandomSuffix();
  std::unique_ptr<test::ChildProcess> operator_process;

  std::filesystem::path operator_log() const { return dir.path() / "operator.log"; }

  std::string OperatorLogTail(std::size_t lines = 60) const {
    std::ifstream in(operator_log());
    std::vector<std::string> all;
    for (std::string l; std::getline(in, l);) all.push_back(l);
    std::string out;
    for (std::size_t i = all.size() > lines ? all.size() - lines : 0; i < all.size(); ++i) out += all[i] + "\n";
    return out;
  }

  std::string NewNamespace(const std::string& prefix) { return kube_e2e::NewNamespace(*admin, prefix); }

  json Tenant(const std::string& ns, const std::string& name, const std::string& tenant_id, json extra_spec = json::object()) {
    json spec = {{"tenantId", tenant_id}, {"database", {{"serverRef", server_name}}}};
    spec.merge_patch(extra_spec);
    return {{"apiVersion", "tenancy.erp.dev/v1alpha1"},
            {"kind", "Tenant"},
            {"metadata", {{"name", name}, {"namespace", ns}}},
            {"spec", spec}};
  }

  // Creates Tenant ns/name with deletionPolicy Delete (the test leaves no database behind)
  // and `extra_spec` merged in; true once it is Ready for its generation.
  bool CreateReadyTenant(const std::string& ns, const std::string& name, const std::string& tenant_id,
                         json extra_spec = json::object(), std::chrono::milliseconds timeout = std::chrono::seconds(60)) {
    json spec = {{"database", {{"deletionPolicy", "Delete"}}}};
    spec.merge_patch(extra_spec);
    admin->Create(api::kTenants, ns, Tenant(ns, name, tenant_id, spec));
    return WaitReady(ns, name, timeout);
  }

  std::optional<json> GetTenant(const std::string& ns, const std::string& name) {
    return admin->GetOrNull(api::kTenants, ns, name);
  }

  static std::string ConditionOf(const json& t, const std::string& type, std::string* reason = nullptr,
                                 std::string* message = nullptr) {
    if (!t.contains("status") || !t["status"].contains("conditions")) return "absent";
    for (const auto& c : t["status"]["conditions"]) {
      if (c["type"] == type) {
        if (reason) *reason = c.value("reason", "");
        if (message) *message = c.value("message", "");
        return c["status"];
      }
    }
    return "absent";
  }

  bool WaitReady(const std::string& ns, const std::string& name, std::chrono::milliseconds timeout) {
    return Eventually(
        [&] {
          auto t = GetTenant(ns, name);
          return t && ConditionOf(*t, "Ready") == "True" &&
                 (*t)["status"].value("observedGeneration", 0LL) == (*t)["metadata"].value("generation", -1LL);
        },
        timeout);
  }

  std::map<std::string, std::string> SecretData(const std::string& ns, const std::string& name) {
    return specs::DecodeSecretData(admin->Get(kube::resources::kSecrets, ns, name));
  }

  // Connects with the keys of a <tenant>-db Secret (host/port/dbname/user/password/sslmode)
  // and the test CA.
  pg::Connection ConnectWith(const std::map<std::string, std::string>& s, std::string dbname = {}) {
    pg::ConnInfoBuilder b;
    b.Host(s.at("host"))
        .Port(std::stoi(s.at("port")))
        .DbName(dbname.empty() ? s.at("dbname") : dbname)
        .User(s.at("username"))
        .Password(s.at("password"))
        .SslMode(s.at("sslmode"))
        .SslRootCert(pg.ca_file());
    return pg::Connection::Connect(b.Build(), std::chrono::seconds(5));
  }

  pg::Connection Superuser() { return pg::Connection::Connect(pg.ConnInfo("postgres"), std::chrono::seconds(5)); }

  // Starts (or restarts) the operator process. `tuning`: the e2e suite's short resync (so
  // drift is repaired within a test's patience) and more workers; the benchmark passes {}
  // to run with the defaults a deployment has.
  void StartOperator(const std::vector<std::string>& tuning = {"--resync-period=20s", "--max-concurrent-reconciles=8"}) {
    test::ChildOptions o;
    // TENANT_OPERATOR_BINARY lets the benchmark use an optimized build.
    const char* bin = std::getenv("TENANT_OPERATOR_BINARY");
    o.argv = {bin != nullptr && *bin != '\0' ? std::string(bin) : std::string(TENANT_BINARY_DIR) + "/operator/tenant-operator",
              "--kubeconfig=" + (dir.path() / "operator.kubeconfig").string(),
              "--metrics-bind-address=0",
              "--health-probe-bind-address=0",
              "--default-tenant-api-image=tenant-api:e2e"};
    o.argv.insert(o.argv.end(), tuning.begin(), tuning.end());
    o.log_file = operator_log();
    o.stop_grace = std::chrono::seconds(10);
    operator_process = std::make_unique<test::ChildProcess>(o);
  }
  // Pid of the operator itself (the ChildProcess pid is its supervisor).
  pid_t OperatorPid() const {
    if (!operator_process) return -1;
    std::ifstream children("/proc/" + std::to_string(operator_process->pid()) + "/task/" +
                           std::to_string(operator_process->pid()) + "/children");
    pid_t pid = -1;
    children >> pid;
    return pid;
  }
  void StopOperator(int sig = SIGTERM) {
    if (operator_process) operator_process->Stop(sig, std::chrono::seconds(10));
    operator_process.reset();
  }

 private:
  TenantEnv() : cluster(test::LocalCluster::Shared()), pg(test::PostgresServer::Shared()) {
    admin = std::make_shared<kube::RestClient>(kube::LoadKubeconfigFile(cluster.kubeconfig().string()));
    const std::string src = TENANT_SOURCE_DIR;
    cluster.KubectlOrThrow({"apply", "--server-side", "--force-conflicts", "-f", src + "/crds/tenancy.erp.dev_tenants.yaml",
                            "-f", src + "/crds/tenancy.erp.dev_databaseservers.yaml"});
    cluster.KubectlOrThrow({"wait", "--for=condition=Established", "--timeout=60s", "crd/tenants.tenancy.erp.dev",
                            "crd/databaseservers.tenancy.erp.dev"});
    kube_e2e::InstallOperatorRbac(cluster, dir.path() / "operator.kubeconfig");
    cluster.KubectlOrThrow({"apply", "--server-side", "--force-conflicts", "-k", src + "/manifests/policy"});

    // Admin credentials and CA of the test PostgreSQL, in their own namespace.
    const std::string db_ns = NewNamespace("e2e-db");
    std::ifstream ca_in(pg.ca_file());
    std::stringstream ca;
    ca << ca_in.rdbuf();
    admin->Create(kube::resources::kSecrets, db_ns,
                  {{"apiVersion", "v1"}, {"kind", "Secret"}, {"metadata", {{"name", "pg-admin"}}},
                   {"stringData", {{"username", pg.superuser()}, {"password", pg.superuser_password()}}}});
    admin->Create(kube::resources::kSecrets, db_ns,
                  {{"apiVersion", "v1"}, {"kind", "Secret"}, {"metadata", {{"name", "pg-ca"}}},
                   {"stringData", {{"ca.crt", ca.str()}}}});
    // CRD discovery can lag Established a moment: retry the create.
    json server = {{"apiVersion", "tenancy.erp.dev/v1alpha1"},
                   {"kind", "DatabaseServer"},
                   {"metadata", {{"name", server_name}, {"labels", {{"e2e", server_name}}}}},
                   {"spec",
                    {{"host", pg.host()},
                     {"port", pg.port()},
                     {"sslMode", "verify-full"},
                     {"caSecretRef", {{"namespace", db_ns}, {"name", "pg-ca"}}},
                     {"adminSecretRef", {{"namespace", db_ns}, {"name", "pg-admin"}}}}}};
    if (!Eventually([&] { admin->Create(api::kDatabaseServers, "", server); return true; }, std::chrono::seconds(20))) {
      throw std::runtime_error("could not create the DatabaseServer");
    }
    StartOperator();
    if (!Eventually(
            [&] {
              auto s = admin->Get(api::kDatabaseServers, "", server_name);
              return ConditionOf(s, "Ready") == "True";
            },
            std::chrono::seconds(60))) {
      throw std::runtime_error("DatabaseServer never became Ready; operator log:\n" + OperatorLogTail());
    }
    started_ = this;
  }

  static inline TenantEnv* started_ = nullptr;
};

}  // namespace tenant::e2e
