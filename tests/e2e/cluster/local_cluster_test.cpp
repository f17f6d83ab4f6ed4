// e2e tests of tests/support/local_cluster: the shared fixture cluster, ServiceAccount
// kubeconfigs limited by RBAC, and a private cluster surviving API server / etcd restarts
// and returning 410 Gone after an etcd compaction.
#include <catch2/catch.hpp>

#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <thread>

#include "tests/support/local_cluster.hpp"

namespace {

using tenant::test::CommandResult;
using tenant::test::LocalCluster;

std::string UniqueName(std::string_view prefix) {
  std::random_device rd;
  return std::string(prefix) + "-" + std::to_string(::getpid()) + "-" + std::to_string(rd() % 100000);
}

// Retries `fn` until it returns true or `timeout` passes (RBAC and caches are eventually
// consistent); returns the last result.
template <typename Fn>
bool Eventually(Fn fn, std::chrono::seconds timeout = std::chrono::seconds(30)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    if (fn()) return true;
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
}

// Deletes a namespace of the shared cluster when the test ends, however it ends.
struct NamespaceGuard {
  const LocalCluster& cluster;
  std::string name;
  ~NamespaceGuard() { cluster.Kubectl({"delete", "namespace", name, "--ignore-not-found", "--wait=false"}); }
};

// PIDs of live processes whose command line mentions `needle`.
std::vector<std::string> ProcessesMentioning(const std::string& needle) {
  std::vector<std::string> found;
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    const auto name = entry.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream in(entry.path() / "cmdline");
    const std::string cmdline((std::istreambuf_iterator<char>(in)), {});
    if (cmdline.find(needle) != std::string::npos) found.push_back(name);
  }
  return found;
}

}  // namespace

TEST_CASE("shared cluster has two Ready kwok nodes and reports the pinned version", "[cluster]") {
  auto& cluster = LocalCluster::Shared();
  CHECK_FALSE(cluster.is_private());
  const auto ready = cluster.KubectlOrThrow(
      {"get", "nodes", "-o", R"(jsonpath={range .items[*]}{.metadata.name}={.status.conditions[?(@.type=="Ready")].status};{end})"});
  CHECK(ready == "kwok-node-0=True;kwok-node-1=True;");
  const auto version = cluster.KubectlOrThrow({"version", "-o", "json"});
  CHECK(version.find("\"gitVersion\": \"" + cluster.Env("KUBERNETES_VERSION") + "\"") != std::string::npos);
  CHECK(cluster.apiserver_url().rfind("https://127.0.0.1:", 0) == 0);
  CHECK(std::filesystem::exists(cluster.ca_file()));
}

TEST_CASE("a minted ServiceAccount kubeconfig has exactly the RBAC bound to the account", "[cluster]") {
  auto& cluster = LocalCluster::Shared();
  const NamespaceGuard ns{cluster, UniqueName("rbac")};
  cluster.KubectlOrThrow({"create", "namespace", ns.name});
  cluster.KubectlOrThrow({"-n", ns.name, "create", "serviceaccount", "reader"});
  const auto kubeconfig = cluster.dir() / (ns.name + ".kubeconfig");
  cluster.MintServiceAccountKubeconfig(ns.name, "reader", kubeconfig, "1h");
  const auto as_sa = [&](std::vector<std::string> args) {
    std::vector<std::string> argv{cluster.kubectl_path().string(), "--kubeconfig", kubeconfig.string()};
    argv.insert(argv.end(), args.begin(), args.end());
    return LocalCluster::Run(argv);
  };

  const auto who = as_sa({"auth", "whoami", "-o", "jsonpath={.status.userInfo.username}"});
  REQUIRE(who.ok());
  CHECK(who.out == "system:serviceaccount:" + ns.name + ":reader");

  const auto denied = as_sa({"-n", ns.name, "get", "configmaps"});
  CHECK_FALSE(denied.ok());
  CHECK(denied.err.find("forbidden") != std::string::npos);

  cluster.KubectlOrThrow({"-n", ns.name, "create", "role", "cm-reader", "--verb=get,list", "--resource=configmaps"});
  cluster.KubectlOrThrow({"-n", ns.name, "create", "rolebinding", "cm-reader", "--role=cm-reader",
                          "--serviceaccount=" + ns.name + ":reader"});
  CHECK(Eventually([&] { return as_sa({"-n", ns.name, "get", "configmaps"}).ok(); }));
  // Still nothing beyond the Role: no writes, nothing in other namespaces.
  const auto write = as_sa({"-n", ns.name, "create", "configmap", "x"});
  CHECK_FALSE(write.ok());
  CHECK_FALSE(as_sa({"-n", "default", "get", "configmaps"}).ok());
  std::filesystem::remove(kubeconfig);
}

TEST_CASE("the shared cluster refuses disruptive operations", "[cluster]") {
  auto& cluster = LocalCluster::Shared();
  CHECK_THROWS_AS(cluster.RestartApiServer(), std::logic_error);
  CHECK_THROWS_AS(cluster.StopEtcd(), std::logic_error);
  CHECK_THROWS_AS(cluster.CompactEtcd(), std::logic_error);
}

TEST_CASE("a private cluster survives restarts, and compaction makes old versions 410 Gone", "[cluster][private]") {
  // Without the watch cache every watch reads etcd, so compaction is visible to clients.
  LocalCluster::PrivateOptions options;
  options.apiserver_args = {"--watch-cache=false"};
  auto cluster = LocalCluster::StartPrivate(options);
  const auto dir = cluster->dir();
  REQUIRE(cluster->is_private());

  cluster->KubectlOrThrow({"-n", "default", "create", "configmap", "survivor", "--from-literal=k=v1"});
  const auto old_rv = cluster->KubectlOrThrow(
      {"-n", "default", "get", "configmap", "survivor", "-o", "jsonpath={.metadata.resourceVersion}"});
  REQUIRE_FALSE(old_rv.empty());

  SECTION("API server outage") {
    cluster->StopApiServer();
    const auto down = cluster->Kubectl({"get", "--raw", "/readyz", "--request-timeout=5s"});
    CHECK_FALSE(down.ok());
    cluster->StartApiServer();
    CHECK(cluster->KubectlOrThrow({"-n", "default", "get", "configmap", "survivor", "-o", "jsonpath={.data.k}"}) ==
          "v1");
    cluster->RestartApiServer();
    CHECK(cluster->KubectlOrThrow({"get", "--raw", "/readyz"}) == "ok");
  }

  SECTION("etcd restart keeps the data") {
    cluster->RestartEtcd();
    CHECK(cluster->KubectlOrThrow({"-n", "default", "get", "configmap", "survivor", "-o", "jsonpath={.data.k}"}) ==
          "v1");
  }

  SECTION("compaction: a watch from a compacted resourceVersion gets 410 Gone") {
    // Two writes: etcd refuses a watch only if it starts BELOW the compaction revision, and
    // the watch from old_rv starts at old_rv+1 (which alone would be the first patch).
    for (const char* value : {"v2", "v3"}) {
      cluster->KubectlOrThrow({"-n", "default", "patch", "configmap", "survivor", "--type=merge", "-p",
                               std::string(R"({"data":{"k":")") + value + R"("}})"});
    }
    const auto revision = cluster->CompactEtcd();
    CHECK(revision > std::stoll(old_rv) + 1);
    const auto watch = cluster->Kubectl(
        {"get", "--raw", "/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=" + old_rv},
        {}, std::chrono::seconds(30));
    INFO("watch output: " << watch.out << watch.err);
    CHECK(watch.out.find("\"code\":410") != std::string::npos);
  }

  cluster.reset();
  CHECK_FALSE(std::filesystem::exists(dir));
}

TEST_CASE("the guardian tears a cluster down when its owner dies", "[cluster][private]") {
  // The owner: a detached `sleep` (reparented away from us, so killing it cannot hurt us).
  const auto spawn = LocalCluster::Run({"bash", "-c", "sleep 600 </dev/null >/dev/null 2>&1 & echo $!"});
  REQUIRE(spawn.ok());
  const pid_t owner = std::stoi(spawn.out);
  std::string pattern = (std::filesystem::temp_directory_path() / "tenant-guardian-XXXXXX").string();
  REQUIRE(::mkdtemp(pattern.data()) != nullptr);
  const std::filesystem::path dir = pattern;
  std::ofstream(dir / ".remove-with-owner").put('\n');

  const auto up = LocalCluster::Run(
      {"bash", tenant::test::ClusterScript().string(), "up", dir.string(), "--owner-pid", std::to_string(owner)},
      {}, std::chrono::seconds(600));
  INFO("cluster.sh up: " << up.err);
  REQUIRE(up.ok());
  CHECK(ProcessesMentioning(dir.string() + "/").size() >= 5);  // etcd, apiserver, kcm, scheduler, kwok

  REQUIRE(::kill(owner, SIGKILL) == 0);
  CHECK(Eventually([&] { return !std::filesystem::exists(dir); }, std::chrono::seconds(60)));
  const auto left = ProcessesMentioning(dir.string());
  CHECK(left.empty());
  if (!left.empty()) {  // never leave a cluster behind, even when the check failed
    LocalCluster::Run({"bash", tenant::test::ClusterScript().string(), "down", dir.string()});
    std::filesystem::remove_all(dir);
  }
}
