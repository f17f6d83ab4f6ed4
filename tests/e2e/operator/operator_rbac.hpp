#pragma once
// The operator's identity in e2e tests: its ServiceAccount, ClusterRole, bindings and
// leader-election Role exactly as manifests/rbac ships them, and a kubeconfig that
// authenticates as that ServiceAccount (TokenRequest), so an operator process started with
// it has that RBAC and nothing more.
#include <filesystem>
#include <string>

#include "tests/support/local_cluster.hpp"

namespace tenant::kube_e2e {

inline constexpr const char* kOperatorNamespace = "tenant-operator-system";
inline constexpr const char* kOperatorServiceAccount = "tenant-operator";

// "system:serviceaccount:<ns>:<name>", for `kubectl auth can-i --as=` and RBAC subjects.
inline std::string OperatorUser() {
  return std::string("system:serviceaccount:") + kOperatorNamespace + ":" + kOperatorServiceAccount;
}

// Applies manifests/rbac (idempotent: server-side apply; other suites may have applied it
// or manifests/default already) and writes the ServiceAccount's kubeconfig to `out`.
inline std::filesystem::path InstallOperatorRbac(const test::LocalCluster& cluster, const std::filesystem::path& out) {
  cluster.Apply(std::string(R"({"apiVersion":"v1","kind":"Namespace","metadata":{"name":")") + kOperatorNamespace +
                R"("}})");
  cluster.KubectlOrThrow({"apply", "--server-side", "--force-conflicts", "-k", std::string(TENANT_SOURCE_DIR) + "/manifests/rbac"});
  return cluster.MintServiceAccountKubeconfig(kOperatorNamespace, kOperatorServiceAccount, out);
}

}  // namespace tenant::kube_e2e
