#pragma once
// C++ access to the local Kubernetes control plane of tests/cluster/cluster.sh (etcd,
// kube-apiserver, kube-controller-manager, kube-scheduler, kwok with fake Nodes).
//
// Two kinds of cluster:
//  - LocalCluster::Shared(): the cluster of the `local_cluster` CTest fixture, found via
//    the TENANT_CLUSTER_DIR environment variable that CTest sets for e2e suites. Shared by
//    every e2e test, so it refuses operations that disturb others (restarts, compaction):
//    use a private cluster for those.
//  - LocalCluster::StartPrivate(): a cluster of its own in a fresh temporary directory,
//    torn down by the destructor (and by cluster.sh's guardian if this process dies). For
//    tests that stop/restart kube-apiserver or etcd. Starting one takes ~10-20 s.
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace tenant::test {

// Output of a finished command. exit_code is the shell convention (128+signal if killed).
struct CommandResult {
  int exit_code = -1;
  std::string out;  // stdout
  std::string err;  // stderr
  bool ok() const { return exit_code == 0; }
};

class LocalCluster {
 public:
  // The fixture's cluster. Throws std::runtime_error with a clear message when
  // TENANT_CLUSTER_DIR is unset or the cluster is not up (the test then fails).
  static LocalCluster& Shared();

  struct PrivateOptions {
    // Extra kube-apiserver flags, e.g. "--watch-cache=false" so that watches read etcd
    // directly and CompactEtcd() makes old resourceVersions "410 Gone".
    std::vector<std::string> apiserver_args;
  };
  // Starts a private cluster; throws std::runtime_error (with cluster.sh's output, which
  // includes the failing component's log tail) when it cannot start.
  static std::unique_ptr<LocalCluster> StartPrivate(const PrivateOptions& options);
  static std::unique_ptr<LocalCluster> StartPrivate() { return StartPrivate(PrivateOptions{}); }

  ~LocalCluster();  // private cluster: `cluster.sh down` and the directory removed
  LocalCluster(const LocalCluster&) = delete;
  LocalCluster& operator=(const LocalCluster&) = delete;

  bool is_private() const { return private_; }
  const std::filesystem::path& dir() const { return dir_; }
  // Admin (system:masters) kubeconfig with embedded certificates.
  std::filesystem::path kubeconfig() const { return dir_ / "admin.kubeconfig"; }
  std::string apiserver_url() const { return Env("APISERVER_URL"); }     // https://127.0.0.1:<port>
  std::filesystem::path ca_file() const { return Env("CA_FILE"); }      // CA of the API server cert
  std::filesystem::path kubectl_path() const { return Env("KUBECTL"); }  // kubectl of the same release
  // Any value of DIR/env (APISERVER_PORT, ETCD_URL, KUBERNETES_VERSION, ...); throws if absent.
  std::string Env(std::string_view key) const;

  // Runs kubectl with the admin kubeconfig. `stdin_data` is fed to its stdin (for `-f -`).
  CommandResult Kubectl(const std::vector<std::string>& args, std::string_view stdin_data = {},
                        std::chrono::seconds timeout = std::chrono::seconds(120)) const;
  // Same, but throws std::runtime_error (command, exit code, stderr) unless it exits 0;
  // returns stdout.
  std::string KubectlOrThrow(const std::vector<std::string>& args, std::string_view stdin_data = {},
                             std::chrono::seconds timeout = std::chrono::seconds(120)) const;
  // `kubectl apply -f -` of a YAML/JSON manifest.
  void Apply(std::string_view manifest) const;

  // Writes a kubeconfig at `out` that authenticates as ServiceAccount namespace/name with a
  // token from the TokenRequest API: a process using it has only that account's RBAC. The
  // ServiceAccount must exist. Returns `out`.
  std::filesystem::path MintServiceAccountKubeconfig(std::string_view ns, std::string_view service_account,
                                                     const std::filesystem::path& out,
                                                     std::string_view duration = "24h") const;

  // Outage controls; private clusters only (throw std::logic_error on the shared one).
  // Start*/Restart* return once the component is healthy (API server: /readyz ok).
  void StopApiServer();
  void StartApiServer();
  void RestartApiServer();
  void StopEtcd();
  void StartEtcd();
  void RestartEtcd();  // also waits until the API server is ready again
  // Compacts etcd to its current revision and returns that revision.
  std::int64_t CompactEtcd();

  // Runs argv (argv[0] looked up in PATH) with `stdin_data` on stdin and captures stdout and
  // stderr; kills it (SIGKILL) after `timeout`. Throws std::system_error if it cannot start.
  static CommandResult Run(const std::vector<std::string>& argv, std::string_view stdin_data = {},
                           std::chrono::seconds timeout = std::chrono::seconds(120));

 private:
  LocalCluster(std::filesystem::path dir, bool is_private);
  void LoadEnv();
  void ClusterSh(const std::vector<std::string>& args, std::chrono::seconds timeout) const;
  void RequirePrivate(std::string_view operation) const;

  std::filesystem::path dir_;
  bool private_ = false;
  std::map<std::string, std::string, std::less<>> env_;
};

// tests/cluster/cluster.sh in the source tree.
std::filesystem::path ClusterScript();

}  // namespace tenant::test
