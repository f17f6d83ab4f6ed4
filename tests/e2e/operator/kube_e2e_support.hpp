#pragma once
// Helpers shared by every e2e test of the operator (real kube-apiserver only); the
// Tenant tests build on them in tenant_e2e_env.hpp.

#include <chrono>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <thread>

#include "operator/kube/config.hpp"
#include "operator/kube/rest_client.hpp"
#include "tests/support/local_cluster.hpp"

namespace tenant::kube_e2e {

inline std::shared_ptr<kube::RestClient> ClientFor(const test::LocalCluster& c) {
  return std::make_shared<kube::RestClient>(kube::LoadKubeconfigFile(c.kubeconfig().string()));
}

// Six random digits: names that do not collide with other tests or earlier runs.
inline std::string RandomSuffix() {
  static std::mt19937 gen(std::random_device{}());
  return std::to_string(std::uniform_int_distribution<int>(100000, 999999)(gen));
}

// A fresh namespace per test so tests never see each other's objects.
inline std::string NewNamespace(kube::Client& client, const std::string& prefix) {
  std::string name = prefix + "-" + RandomSuffix();
  client.Create(kube::resources::kNamespaces, "", {{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", name}}}});
  return name;
}

inline kube::Json ConfigMap(const std::string& ns, const std::string& name, kube::Json data,
                            kube::Json labels = kube::Json::object()) {
  return {{"apiVersion", "v1"},
          {"kind", "ConfigMap"},
          {"metadata", {{"name", name}, {"namespace", ns}, {"labels", labels}}},
          {"data", data}};
}

// Polls `cond` every 100 ms until true or `timeout`; returns the final value.
inline bool Eventually(const std::function<bool()>& cond, std::chrono::milliseconds timeout) {
  auto until = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    try {
      if (cond()) return true;
    } catch (const std::exception&) {
      // transient API failures during outages: keep polling
    }
    if (std::chrono::steady_clock::now() >= until) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

}  // namespace tenant::kube_e2e
