#include <catch2/catch.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "operator/kube/config.hpp"

using namespace tenant::kube;

namespace {
const char* kKubeconfig = R"(apiVersion: v1
kind: Config
current-context: admin
clusters:
- name: local
  cluster:
    server: https://127.0.0.1:6443/
    certificate-authority-data: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCkNBCg==
- name: other
  cluster:
    server: https://other:443
    insecure-skip-tls-verify: true
contexts:
- name: admin
  context: {cluster: local, user: admin, namespace: tenants}
- name: tok
  context: {cluster: other, user: tok}
users:
- name: admin
  user:
    client-certificate: certs/admin.crt
    client-key-data: S0VZ
- name: tok
  user:
    token: abc.def
)";
}

TEST_CASE("kubeconfig: current context, inline CA, file cert relative to the kubeconfig", "[kube][config]") {
  auto dir = std::filesystem::temp_directory_path() / ("kc-test-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir / "certs");
  std::ofstream(dir / "certs/admin.crt") << "CERT";
  auto cfg = ParseKubeconfig(kKubeconfig, dir.string());
  CHECK(cfg.server == "https://127.0.0.1:6443");
  CHECK(cfg.ca_pem == "-----BEGIN CERTIFICATE-----\nCA\n");
  CHECK(cfg.client_cert_pem == "CERT");
  CHECK(cfg.client_key_pem == "KEY");
  CHECK(cfg.default_namespace == "tenants");
  CHECK_FALSE(cfg.insecure_skip_tls_verify);
  std::filesystem::remove_all(dir);
}

TEST_CASE("kubeconfig: explicit context with token and insecure flag", "[kube][config]") {
  auto cfg = ParseKubeconfig(kKubeconfig, "/nonexistent", "tok");
  CHECK(cfg.server == "https://other:443");
  CHECK(cfg.bearer_token == "abc.def");
  CHECK(cfg.insecure_skip_tls_verify);
  CHECK(cfg.default_namespace == "default");
}

TEST_CASE("kubeconfig: missing pieces are clear errors", "[kube][config]") {
  CHECK_THROWS_WITH(ParseKubeconfig(kKubeconfig, "/x", "nope"), Catch::Contains("context \"nope\" not found"));
  CHECK_THROWS_WITH(ParseKubeconfig("current-context: a\ncontexts: []\n", "/x"), Catch::Contains("not found"));
  CHECK_THROWS(ParseKubeconfig("{{{", "/x"));
  // The admin user references a certificate file that does not exist in this directory.
  CHECK_THROWS_WITH(ParseKubeconfig(kKubeconfig, "/nonexistent"), Catch::Contains("cannot read"));
}

TEST_CASE("in-cluster config from env and the service-account directory", "[kube][config]") {
  auto dir = std::filesystem::temp_directory_path() / ("sa-test-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "token") << "tok123\n";
  std::ofstream(dir / "ca.crt") << "CA";
  std::ofstream(dir / "namespace") << "ops";
  EnvLookup env = [](std::string_view k) -> std::optional<std::string> {
    if (k == "KUBERNETES_SERVICE_HOST") return "fd00::1";
    if (k == "KUBERNETES_SERVICE_PORT") return "443";
    return std::nullopt;
  };
  auto cfg = InClusterConfig(env, dir.string());
  CHECK(cfg.server == "https://[fd00::1]:443");
  CHECK(cfg.bearer_token == "tok123");
  CHECK(cfg.token_file == (dir / "token").string());
  CHECK(cfg.ca_pem == "CA");
  CHECK(cfg.default_namespace == "ops");
  EnvLookup none = [](std::string_view) -> std::optional<std::string> { return std::nullopt; };
  CHECK_THROWS(InClusterConfig(none, dir.string()));
  std::filesystem::remove_all(dir);
}
