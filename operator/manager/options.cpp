#include "operator/manager/options.hpp"

#include <algorithm>
#include <cctype>
#include <functional>
#include <stdexcept>

namespace tenant::manager {
namespace {

struct Flag {
  std::string name;
  std::string help;
  bool boolean;
  std::function<void(Options&, const std::string&)> set;
};

bool ParseBool(const std::string& v) {
  std::string l = v;
  std::transform(l.begin(), l.end(), l.begin(), [](unsigned char c) { return std::tolower(c); });
  if (l == "true" || l == "1" || l == "yes" || l.empty()) return true;
  if (l == "false" || l == "0" || l == "no") return false;
  throw std::invalid_argument("not a boolean: " + v);
}

int ParsePositive(const std::string& v) {
  std::size_t pos = 0;
  int n = std::stoi(v, &pos);
  if (pos != v.size() || n < 1) throw std::invalid_argument("must be a positive integer: " + v);
  return n;
}

std::vector<Flag> Flags() {
  using O = Options;
  auto ms = [](const std::string& v) { return ParseDuration(v); };
  return {
      {"kubeconfig", "Path to a kubeconfig (default: $KUBECONFIG, in-cluster, ~/.kube/config)", false,
       [](O& o, const std::string& v) { o.kubeconfig = v; }},
      {"namespace", "Namespace to watch; empty = all namespaces", false,
       [](O& o, const std::string& v) { o.watch_namespace = v; }},
      {"metrics-bind-address", "Address of the /metrics endpoint (\"0\" disables)", false,
       [](O& o, const std::string& v) { o.metrics_bind_address = v; }},
      {"health-probe-bind-address", "Address of /healthz and /readyz (\"0\" disables)", false,
       [](O& o, const std::string& v) { o.health_probe_bind_address = v; }},
      {"leader-elect", "Enable leader election (one active replica)", true,
       [](O& o, const std::string& v) { o.leader_elect = ParseBool(v); }},
      {"leader-election-id", "Name of the leader election Lease", false,
       [](O& o, const std::string& v) { o.leader_election_id = v; }},
      {"leader-election-namespace", "Namespace of the Lease (default: pod namespace or \"default\")", false,
       [](O& o, const std::string& v) { o.leader_election_namespace = v; }},
      {"leader-elect-lease-duration", "Lease duration (default 15s)", false,
       [ms](O& o, const std::string& v) { o.lease_duration = ms(v); }},
      {"leader-elect-renew-deadline", "Renew deadline (default 10s)", false,
       [ms](O& o, const std::string& v) { o.renew_deadline = ms(v); }},
      {"leader-elect-retry-period", "Retry period (default 2s)", false,
       [ms](O& o, const std::string& v) { o.retry_period = ms(v); }},
      {"max-concurrent-reconciles", "Workers per controller (default 4)", false,
       [](O& o, const std::string& v) { o.max_concurrent_reconciles = ParsePositive(v); }},
      {"resync-period", "Re-queue every cached object this often (default 10m; 0 disables)", false,
       [ms](O& o, const std::string& v) {
         o.resync_period = std::chrono::duration_cast<std::chrono::seconds>(ms(v));
       }},
      {"graceful-shutdown-timeout", "How long in-flight reconciles may finish on shutdown (default 30s)", false,
       [ms](O& o, const std::string& v) {
         o.graceful_shutdown_timeout = std::chrono::duration_cast<std::chrono::seconds>(ms(v));
       }},
      {"log-level", "trace, debug, info, warn, error (default info)", false,
       [](O& o, const std::string& v) { o.log_level = v; }},
      {"default-tenant-api-image", "tenant-api image used when a Tenant does not name one", false,
       [](O& o, const std::string& v) { o.default_tenant_api_image = v; }},
      {"api-image", "Same as --default-tenant-api-image", false,
       [](O& o, const std::string& v) { o.default_tenant_api_image = v; }},
      {"redis-secret", "Secret (key url) in each tenant namespace giving the API its REDIS_URL", false,
       [](O& o, const std::string& v) { o.redis_secret = v; }},
      {"sentry-secret", "Optional Secret (key dsn) giving the API its SENTRY_DSN", false,
       [](O& o, const std::string& v) { o.sentry_secret = v; }},
      {"mirror-test-controller", "Run the ConfigMap mirror controller (tests only)", true,
       [](O& o, const std::string& v) { o.mirror_test_controller = ParseBool(v); }},
      {"tenant-controllers", "Run the Tenant/DatabaseServer controllers (default true)", true,
       [](O& o, const std::string& v) { o.tenant_controllers = ParseBool(v); }},
  };
}

std::string EnvName(const std::string& flag) {
  std::string e = "TENANT_OPERATOR_";
  for (char c : flag) e.push_back(c == '-' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
  return e;
}

}  // namespace

std::chrono::milliseconds ParseDuration(std::string_view text) {
  if (text.empty()) throw std::invalid_argument("empty duration");
  bool all_digits = std::all_of(text.begin(), text.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); });
  if (all_digits) return std::chrono::seconds(std::stoll(std::string(text)));
  double total_ms = 0;
  std::size_t i = 0;
  while (i < text.size()) {
    std::size_t start = i;
    while (i < text.size() && (std::isdigit(static_cast<unsigned char>(text[i])) || text[i] == '.')) ++i;
    if (start == i) throw std::invalid_argument("bad duration: " + std::string(text));
    double value = std::stod(std::string(text.substr(start, i - start)));
    std::size_t ustart = i;
    while (i < text.size() && std::isalpha(static_cast<unsigned char>(text[i]))) ++i;
    auto unit = text.substr(ustart, i - ustart);
    if (unit == "ms") total_ms += value;
    else if (unit == "s") total_ms += value * 1000;
    else if (unit == "m") total_ms += value * 60000;
    else if (unit == "h") total_ms += value * 3600000;
    else throw std::invalid_argument("bad duration unit in: " + std::string(text));
  }
  return std::chrono::milliseconds(static_cast<long long>(total_ms));
}

ParseOutcome ParseOptions(const std::vector<std::string>& args, const std::map<std::string, std::string>& env,
                          Options& out, std::string& help_text) {
  auto flags = Flags();
  help_text = "Usage: tenant-operator [flags]\nReconciles tenancy.erp.dev Tenant and DatabaseServer resources.\n\n";
  for (const auto& f : flags) {
    help_text += "  --" + f.name + (f.boolean ? "" : "=VALUE") + "\n      " + f.help + " [env " + EnvName(f.name) + "]\n";
  }
  help_text += "  --help, --version\n";
  ParseOutcome outcome;
  try {
    // Environment first, flags override.
    if (auto it = env.find("KUBECONFIG"); it != env.end()) out.kubeconfig = it->second.substr(0, it->second.find(':'));
    if (auto it = env.find("POD_NAME"); it != env.end()) out.pod_name = it->second;
    if (auto it = env.find("POD_NAMESPACE"); it != env.end()) out.leader_election_namespace = it->second;
    for (const auto& f : flags) {
      if (auto it = env.find(EnvName(f.name)); it != env.end()) f.set(out, it->second);
    }
    for (std::size_t i = 0; i < args.size(); ++i) {
      const std::string& a = args[i];
      if (a == "--help" || a == "-h") {
        outcome.exit = true;
        return outcome;
      }
      if (a == "--version") {
        outcome.exit = true;
        help_text = std::string("tenant-operator ") + TENANT_VERSION + "\n";
        return outcome;
      }
      if (a.rfind("--", 0) != 0) throw std::invalid_argument("unexpected argument " + a);
      std::string name = a.substr(2), value;
      bool has_value = false;
      if (auto eq = name.find('='); eq != std::string::npos) {
        value = name.substr(eq + 1);
        name = name.substr(0, eq);
        has_value = true;
      }
      auto f = std::find_if(flags.begin(), flags.end(), [&](const Flag& x) { return x.name == name; });
      if (f == flags.end()) throw std::invalid_argument("unknown flag --" + name);
      if (!has_value && !f->boolean) {
        if (i + 1 >= args.size()) throw std::invalid_argument("flag --" + name + " needs a value");
        value = args[++i];
      }
      f->set(out, has_value ? value : (f->boolean ? "true" : value));
    }
  } catch (const std::exception& e) {
    outcome.error = e.what();
    outcome.exit = true;
    outcome.exit_code = 2;
  }
  return outcome;
}

}  // namespace tenant::manager
