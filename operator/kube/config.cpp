#include "operator/kube/config.hpp"

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include <yaml-cpp/yaml.h>

namespace tenant::kube {
namespace {

std::string Resolve(const std::string& base_dir, const std::string& path) {
  if (path.empty() || path.front() == '/' || base_dir.empty()) return path;
  return base_dir + "/" + path;
}

YAML::Node FindNamed(const YAML::Node& list, const std::string& name, const char* what) {
  if (list && list.IsSequence()) {
    for (const auto& item : list) {
      if (item["name"] && item["name"].as<std::string>() == name) return item;
    }
  }
  throw std::runtime_error(std::string("kubeconfig: ") + what + " \"" + name + "\" not found");
}

std::string Str(const YAML::Node& n, const char* key) {
  auto v = n[key];
  return (v && v.IsScalar()) ? v.as<std::string>() : std::string();
}

// Inline *-data wins over the file path, as in client-go.
std::string DataOrFile(const YAML::Node& n, const char* data_key, const char* file_key, const std::string& base) {
  auto data = Str(n, data_key);
  if (!data.empty()) return Base64Decode(data);
  auto file = Str(n, file_key);
  if (!file.empty()) return ReadFile(Resolve(base, file));
  return {};
}

}  // namespace

EnvLookup ProcessEnv() {
  return [](std::string_view name) -> std::optional<std::string> {
    const char* v = std::getenv(std::string(name).c_str());
    if (!v) return std::nullopt;
    return std::string(v);
  };
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string Base64Decode(std::string_view in) {
  auto val = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+' || c == '-') return 62;
    if (c == '/' || c == '_') return 63;
    return -1;
  };
  std::string out;
  unsigned buf = 0;
  int bits = 0;
  for (char c : in) {
    if (c == '=' || c == '\n' || c == '\r' || c == ' ') continue;
    int v = val(c);
    if (v < 0) throw std::invalid_argument("invalid base64 data");
    buf = (buf << 6) | static_cast<unsigned>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((buf >> bits) & 0xFF));
    }
  }
  return out;
}

RestConfig ParseKubeconfig(std::string_view yaml_text, const std::string& base_dir, const std::string& context) {
  YAML::Node root;
  try {
    root = YAML::Load(std::string(yaml_text));
  } catch (const YAML::Exception& e) {
    throw std::runtime_error(std::string("kubeconfig: invalid YAML: ") + e.what());
  }
  std::string ctx_name = context.empty() ? Str(root, "current-context") : context;
  if (ctx_name.empty()) throw std::runtime_error("kubeconfig: no current-context and no context given");
  auto ctx = FindNamed(root["contexts"], ctx_name, "context")["context"];
  if (!ctx) throw std::runtime_error("kubeconfig: context \"" + ctx_name + "\" is empty");
  auto cluster = FindNamed(root["clusters"], Str(ctx, "cluster"), "cluster")["cluster"];
  if (!cluster) throw std::runtime_error("kubeconfig: cluster entry is empty");

  RestConfig cfg;
  cfg.server = Str(cluster, "server");
  if (cfg.server.empty()) throw std::runtime_error("kubeconfig: cluster has no server");
  while (!cfg.server.empty() && cfg.server.back() == '/') cfg.server.pop_back();
  cfg.ca_pem = DataOrFile(cluster, "certificate-authority-data", "certificate-authority", base_dir);
  cfg.insecure_skip_tls_verify = cluster["insecure-skip-tls-verify"] && cluster["insecure-skip-tls-verify"].as<bool>();
  cfg.default_namespace = Str(ctx, "namespace");
  if (cfg.default_namespace.empty()) cfg.default_namespace = "default";

  auto user_name = Str(ctx, "user");
  if (!user_name.empty()) {
    auto user = FindNamed(root["users"], user_name, "user")["user"];
    if (user) {
      cfg.client_cert_pem = DataOrFile(user, "client-certificate-data", "client-certificate", base_dir);
      cfg.client_key_pem = DataOrFile(user, "client-key-data", "client-key", base_dir);
      cfg.bearer_token = Str(user, "token");
      auto token_file = Str(user, "tokenFile");
      if (cfg.bearer_token.empty() && !token_file.empty()) cfg.token_file = Resolve(base_dir, token_file);
      if (cfg.client_cert_pem.empty() != cfg.client_key_pem.empty()) {
        throw std::runtime_error("kubeconfig: user \"" + user_name + "\" has a client certificate without key or vice versa");
      }
    }
  }
  return cfg;
}

RestConfig LoadKubeconfigFile(const std::string& path, const std::string& context) {
  auto slash = path.find_last_of('/');
  std::string dir = slash == std::string::npos ? "." : path.substr(0, slash);
  return ParseKubeconfig(ReadFile(path), dir, context);
}

RestConfig InClusterConfig(const EnvLookup& env, const std::string& sa_dir) {
  auto host = env("KUBERNETES_SERVICE_HOST");
  auto port = env("KUBERNETES_SERVICE_PORT");
  if (!host || host->empty() || !port || port->empty()) {
    throw std::runtime_error("not running in a cluster: KUBERNETES_SERVICE_HOST/PORT not set");
  }
  RestConfig cfg;
  // IPv6 literals need brackets in a URL.
  std::string h = host->find(':') != std::string::npos ? "[" + *host + "]" : *host;
  cfg.server = "https://" + h + ":" + *port;
  cfg.token_file = sa_dir + "/token";
  cfg.bearer_token = ReadFile(cfg.token_file);
  while (!cfg.bearer_token.empty() && (cfg.bearer_token.back() == '\n' || cfg.bearer_token.back() == '\r')) {
    cfg.bearer_token.pop_back();
  }
  cfg.ca_pem = ReadFile(sa_dir + "/ca.crt");
  try {
    cfg.default_namespace = ReadFile(sa_dir + "/namespace");
  } catch (const std::exception&) {
    cfg.default_namespace = "default";
  }
  return cfg;
}

RestConfig LoadConfig(const std::string& kubeconfig_flag, const EnvLookup& env) {
  if (!kubeconfig_flag.empty()) return LoadKubeconfigFile(kubeconfig_flag);
  if (auto kc = env("KUBECONFIG"); kc && !kc->empty()) {
    return LoadKubeconfigFile(kc->substr(0, kc->find(':')));
  }
  if (auto host = env("KUBERNETES_SERVICE_HOST"); host && !host->empty()) return InClusterConfig(env);
  auto home = env("HOME");
  if (!home) throw std::runtime_error("no kubeconfig: set --kubeconfig or KUBECONFIG");
  return LoadKubeconfigFile(*home + "/.kube/config");
}

}  // namespace tenant::kube
