#pragma once

#include <chrono>
#include <map>
#include <string>
#include <vector>

namespace tenant::manager {

// Everything the operator process is configured with: flags, with environment fallbacks.
// Other areas add their own fields in the marked section (and a flag in options.cpp).
struct Options {
  std::string kubeconfig;                       // --kubeconfig / $KUBECONFIG / ~/.kube/config / in-cluster
  std::string watch_namespace;                  // --namespace; "" = all namespaces
  std::string metrics_bind_address = ":8080";   // --metrics-bind-address; "0" disables
  std::string health_probe_bind_address = ":8081";  // --health-probe-bind-address; "0" disables
  bool leader_elect = false;                    // --leader-elect
  std::string leader_election_id = "tenant-operator.tenancy.erp.dev";  // Lease name
  std::string leader_election_namespace;        // --leader-election-namespace; "" = pod ns / "default"
  int max_concurrent_reconciles = 4;            // --max-concurrent-reconciles
  std::chrono::seconds resync_period{600};      // --resync-period (e.g. 10m, 30s, 1h)
  std::string log_level = "info";               // --log-level
  std::chrono::seconds graceful_shutdown_timeout{30};  // --graceful-shutdown-timeout
  std::string pod_name;                         // $POD_NAME (events' reportingInstance)

  // Leader election timing (client-go defaults); tests shorten them via flags.
  std::chrono::milliseconds lease_duration{15000};   // --leader-elect-lease-duration
  std::chrono::milliseconds renew_deadline{10000};   // --leader-elect-renew-deadline
  std::chrono::milliseconds retry_period{2000};      // --leader-elect-retry-period

  // ---- Tenant controller options (owned by the Tenant-controller engineer) ----
  std::string default_tenant_api_image;         // --default-tenant-api-image (alias --api-image)
  std::string redis_secret;                     // --redis-secret: Secret (key "url") in each tenant namespace -> REDIS_URL
  std::string sentry_secret;                    // --sentry-secret: Secret (key "dsn") -> SENTRY_DSN (optional)

  // ---- test hooks ----
  // --mirror-test-controller: run the ConfigMap mirror controller used by e2e tests.
  bool mirror_test_controller = false;
  bool tenant_controllers = true;               // --tenant-controllers=false disables them
};

struct ParseOutcome {
  bool exit = false;       // --help / --version printed: exit with exit_code
  int exit_code = 0;
  std::string error;       // non-empty: bad usage
};

// Parses `--flag=value` / `--flag value` / boolean `--flag` and env fallbacks
// (TENANT_OPERATOR_<FLAG> upper-snake, KUBECONFIG, POD_NAME). `env` is injected for tests.
ParseOutcome ParseOptions(const std::vector<std::string>& args,
                          const std::map<std::string, std::string>& env, Options& out,
                          std::string& help_text);

// "10m", "30s", "1h", "1500ms", "2m30s", bare seconds "45". Throws std::invalid_argument.
std::chrono::milliseconds ParseDuration(std::string_view text);

}  // namespace tenant::manager
