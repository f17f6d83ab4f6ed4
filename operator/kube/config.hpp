#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace tenant::kube {

// Connection settings for the API server (client-go rest.Config, the parts we honour).
struct RestConfig {
  std::string server;                 // "https://127.0.0.1:6443"
  std::string ca_pem;                 // CA bundle (PEM); empty = system trust store
  bool insecure_skip_tls_verify = false;  // only when the kubeconfig says so
  std::string client_cert_pem;
  std::string client_key_pem;
  std::string bearer_token;           // static token (kubeconfig `token`)
  std::string token_file;             // re-read periodically (in-cluster projected token)
  std::string default_namespace;      // context namespace / in-cluster namespace file
  std::string user_agent = "tenant-operator";
};

using EnvLookup = std::function<std::optional<std::string>(std::string_view)>;
EnvLookup ProcessEnv();

// Parses kubeconfig YAML text. Relative file paths (certificate-authority,
// client-certificate, client-key, tokenFile) resolve against `base_dir`. `context` empty =
// current-context. Throws std::runtime_error with a clear message on missing entries.
RestConfig ParseKubeconfig(std::string_view yaml_text, const std::string& base_dir,
                           const std::string& context = {});
RestConfig LoadKubeconfigFile(const std::string& path, const std::string& context = {});

// In-cluster: KUBERNETES_SERVICE_HOST/_PORT and the service-account directory.
// Throws std::runtime_error when not in a cluster.
RestConfig InClusterConfig(const EnvLookup& env,
                           const std::string& sa_dir = "/var/run/secrets/kubernetes.io/serviceaccount");

// --kubeconfig, else $KUBECONFIG (first entry), else in-cluster if
// KUBERNETES_SERVICE_HOST is set, else ~/.kube/config.
RestConfig LoadConfig(const std::string& kubeconfig_flag, const EnvLookup& env);

std::string Base64Decode(std::string_view in);  // throws std::invalid_argument
std::string ReadFile(const std::string& path);  // throws std::runtime_error

}  // namespace tenant::kube
