#include <malloc.h>

#include <csignal>
#include <cstdlib>
#include <iostream>
#include <map>
#include <stop_token>
#include <thread>

#include "common/log/log.hpp"
#include "operator/kube/config.hpp"
#include "operator/kube/rest_client.hpp"
#include "operator/manager/manager.hpp"
#include "operator/manager/mirror_controller.hpp"
#include "operator/manager/options.hpp"
#include "operator/manager/registration.hpp"

extern char** environ;

// Weak: the Tenant controllers register themselves when their area provides the
// definition (operator_lib is linked whole-archive); otherwise the pointer is null.
namespace tenant::manager {
void RegisterTenantControllers(Manager& mgr) __attribute__((weak));
}

int main(int argc, char** argv) {
  using namespace tenant;
  // glibc gives each thread that allocates its own arena (up to 8 per core); the workers,
  // informers, cpprestsdk's pool and the hashers would each keep freed JSON there. Two
  // arenas keep the resident set close to what is actually cached (issue 4: RSS target).
  mallopt(M_ARENA_MAX, 2);
  // Fixed thresholds (glibc otherwise raises them after each large free): buffers over
  // 256 KiB — LIST bodies, several MB with 1,000 tenants — are mapped and unmapped on their
  // own instead of leaving holes in the heap, and free memory above 1 MiB at the top of
  // the heap goes back to the system.
  mallopt(M_MMAP_THRESHOLD, 256 * 1024);
  mallopt(M_TRIM_THRESHOLD, 1024 * 1024);
  std::vector<std::string> args(argv + 1, argv + argc);
  std::map<std::string, std::string> env;
  for (char** e = environ; e && *e; ++e) {
    std::string kv(*e);
    auto eq = kv.find('=');
    if (eq != std::string::npos) env[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  manager::Options options;
  std::string help;
  auto parsed = manager::ParseOptions(args, env, options, help);
  if (!parsed.error.empty()) {
    std::cerr << "tenant-operator: " << parsed.error << " (see --help)\n";
    return parsed.exit_code;
  }
  if (parsed.exit) {
    std::cout << help;
    return 0;
  }

  try {
    log::Configure("tenant-operator", options.log_level);
  } catch (const std::exception& e) {
    std::cerr << "tenant-operator: " << e.what() << "\n";
    return 2;
  }

  // Signals are handled by one thread with sigwait, so no work happens in a handler.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  std::stop_source stop;

  std::jthread signal_thread([&stop, signals](std::stop_token) {
    int sig = 0;
    if (sigwait(&signals, &sig) == 0) {
      log::Info("Received signal; shutting down", {{"signal", sig == SIGTERM ? "SIGTERM" : "SIGINT"}});
      stop.request_stop();
    }
  });

  int rc = 0;
  try {
    auto cfg = kube::LoadConfig(options.kubeconfig, kube::ProcessEnv());
    if (options.leader_election_namespace.empty()) options.leader_election_namespace = cfg.default_namespace;
    log::Info("Starting tenant-operator", {{"version", TENANT_VERSION}, {"server", cfg.server},
                                           {"namespace", options.watch_namespace},
                                           {"leaderElect", options.leader_elect}});
    manager::Manager mgr(options, [&cfg](metrics::Registry& r) { return std::make_shared<kube::RestClient>(cfg, &r); });
    if (options.mirror_test_controller) manager::RegisterMirrorController(mgr);
    if (options.tenant_controllers) {
      if (manager::RegisterTenantControllers) {
        manager::RegisterTenantControllers(mgr);
      } else {
        log::Warn("Tenant controllers are not built into this binary");
      }
    }
    rc = mgr.Run(stop.get_token());
  } catch (const std::exception& e) {
    log::Error("Operator failed", {{"error", e.what()}});
    rc = 1;
  }
  log::Info("Stopped", {{"exitCode", rc}});
  log::Flush();
  if (!stop.stop_requested()) {
    // Unblock the signal thread (it waits in sigwait) so it can be joined.
    pthread_kill(signal_thread.native_handle(), SIGTERM);
  }
  signal_thread.join();
  return rc;
}
