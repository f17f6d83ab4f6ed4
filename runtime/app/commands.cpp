#include "runtime/app/commands.hpp"

#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <cstdlib>
#include <iostream>

#include "common/log/log.hpp"
#include "common/migrations/runner.hpp"
#include "common/pg/connection.hpp"
#include "runtime/app/app.hpp"
#include "runtime/app/async_log.hpp"
#include "runtime/app/migration_role.hpp"
#include "runtime/config/config.hpp"
#include "runtime/handlers/routes.hpp"

namespace tenant::api::app {

namespace {

// `serve` logs through a background writer (async_log.hpp): request threads never block
// in write(2). Logging goes back to plain stderr before the writer drains and stops.
class AsyncStderrLogging {
 public:
  explicit AsyncStderrLogging(const std::string& level) : level_(level) {
    log::Configure("tenant-api", level_);  // validates the level
    log::ConfigureForStream("tenant-api", log::GetLevel(), writer_.stream());
  }
  ~AsyncStderrLogging() { log::Configure("tenant-api", level_); }
  AsyncStderrLogging(const AsyncStderrLogging&) = delete;
  AsyncStderrLogging& operator=(const AsyncStderrLogging&) = delete;

 private:
  std::string level_;
  AsyncLogWriter writer_{STDERR_FILENO};
};

constexpr const char* kUsage = R"(Usage: tenant-api <command> [options]

Serves one tenant's ERP REST API, configured by environment variables.

Commands:
  serve                     run the HTTP server (default when no command is given)
  migrate up [<version>]    apply migrations up to <version> (default: latest)
  migrate down <version>    revert migrations down to <version> (0 = empty schema)
  migrate status            list migrations and their state
                            (migrate runs as the tenant's owner role: see migrate --help)
  check-config              validate the environment and print a redacted summary
  create-user               create a user: --username NAME --role admin|manager|clerk,
                            password read from stdin (first line)
  --version                 print the version

Run `tenant-api <command> --help` for details.
)";

bool WantsHelp(const std::vector<std::string>& args) {
  for (const auto& a : args) {
    if (a == "--help" || a == "-h") return true;
  }
  return false;
}

// Loads the configuration; on problems prints every one of them and returns nullopt.
std::optional<config::Config> LoadConfigOrReport() {
  auto result = config::Load(config::ProcessEnvironment());
  if (!result.ok()) {
    std::cerr << "tenant-api: invalid configuration (" << result.errors.size() << " problem"
              << (result.errors.size() == 1 ? "" : "s") << "):\n";
    for (const auto& e : result.errors) std::cerr << "  - " << e << "\n";
    return std::nullopt;
  }
  return result.config;
}

}  // namespace

int Main(const std::vector<std::string>& args) {
  if (args.empty()) return RunServe({});
  const std::string& cmd = args[0];
  std::vector<std::string> rest(args.begin() + 1, args.end());
  if (cmd == "--help" || cmd == "-h" || cmd == "help") {
    std::cout << kUsage;
    return 0;
  }
  if (cmd == "--version") {
    std::cout << "tenant-api " << TENANT_VERSION << "\n";
    return 0;
  }
  if (cmd == "serve") return RunServe(rest);
  if (cmd == "migrate") return RunMigrate(rest);
  if (cmd == "check-config") return RunCheckConfig(rest);
  if (cmd == "create-user") return RunCreateUser(rest);
  std::cerr << "tenant-api: unknown command \"" << cmd << "\"\n\n" << kUsage;
  return 2;
}

int RunServe(const std::vector<std::string>& args) {
  if (WantsHelp(args)) {
    std::cout << "Usage: tenant-api serve\n\nRuns the HTTP server until SIGTERM/SIGINT, then drains:\n"
                 "readiness turns 503, no new connections, in-flight requests get\n"
                 "SHUTDOWN_GRACE_SECONDS to finish, exit 0.\n\n"
              << config::HelpText();
    return 0;
  }
  if (!args.empty()) {
    std::cerr << "tenant-api serve: unexpected argument \"" << args[0] << "\"\n";
    return 2;
  }
  auto cfg = LoadConfigOrReport();
  if (!cfg) return 2;

  // Block the shutdown signals in every thread (threads inherit the mask) and take them
  // synchronously below with sigwait.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);
  // After the signal mask: the writer thread inherits it, like every other thread.
  AsyncStderrLogging logging(cfg->log_level);

  try {
    log::Info("Starting", {{"config", cfg->Describe()}});
    App app(*cfg, [](server::Router& r, AppContext& ctx) { handlers::RegisterApiRoutes(r, ctx); });
    app.Start();
    int sig = 0;
    sigwait(&signals, &sig);
    log::Info("Signal received", {{"signal", sig == SIGTERM ? "SIGTERM" : "SIGINT"}});
    app.Shutdown();
    log::Flush();
    return 0;
  } catch (const std::exception& e) {
    log::Error("Server failed", {{"error", log::RedactSecrets(e.what(), {cfg->jwt_signing_key})}});
    log::Flush();
    return 1;
  }
}

int RunCheckConfig(const std::vector<std::string>& args) {
  if (WantsHelp(args)) {
    std::cout << "Usage: tenant-api check-config\n\nValidates the environment (every problem is listed; exit 2 when\n"
                 "invalid) and prints a summary with secrets redacted.\n\n"
              << config::HelpText();
    return 0;
  }
  auto cfg = LoadConfigOrReport();
  if (!cfg) return 2;
  std::cout << "configuration OK: " << cfg->Describe() << "\n";
  return 0;
}

int RunMigrate(const std::vector<std::string>& all_args) {
  if (all_args.empty() || WantsHelp(all_args)) {
    std::cout << "Usage: tenant-api migrate up [<version>] | down <version> | status  [--role ROLE]\n\n"
                 "Applies the migrations embedded in this binary to DATABASE_URL, one transaction each,\n"
                 "under pg_advisory_lock. `down` is explicit permission to revert.\n\n"
                 "The migrations run as a role (SET ROLE) so the tables and schema_migrations belong\n"
                 "to the tenant's owner role, as when the operator migrates:\n"
                 "  --role ROLE            this role (it must exist and the user must be a member)\n"
                 "  DB_MIGRATION_ROLE      the same, from the environment (--role wins)\n"
                 "  default                erp_tenant_<TENANT_ID>_owner when TENANT_ID is set, that role\n"
                 "                         exists and the user is a member of it; else the current user\n";
    return all_args.empty() ? 2 : 0;
  }
  std::vector<std::string> args;
  std::optional<std::string> role_flag;
  for (std::size_t i = 0; i < all_args.size(); ++i) {
    const std::string& a = all_args[i];
    if (a == "--role") {
      if (i + 1 >= all_args.size()) {
        std::cerr << "tenant-api migrate: --role needs a value\n";
        return 2;
      }
      role_flag = all_args[++i];
    } else if (a.rfind("--role=", 0) == 0) {
      role_flag = a.substr(7);
    } else {
      args.push_back(a);
    }
  }
  if (role_flag && role_flag->empty()) {
    std::cerr << "tenant-api migrate: --role needs a value\n";
    return 2;
  }
  if (args.empty()) {
    std::cerr << "tenant-api migrate: expected up [<version>] | down <version> | status\n";
    return 2;
  }
  const std::string& sub = args[0];
  std::optional<int> version;
  if (args.size() > 1) {
    try {
      std::size_t used = 0;
      version = std::stoi(args[1], &used);
      if (used != args[1].size() || *version < 0) throw std::invalid_argument("bad");
    } catch (const std::exception&) {
      std::cerr << "tenant-api migrate: version must be a non-negative integer\n";
      return 2;
    }
  }
  if ((sub == "down" && !version) || (sub == "status" && args.size() > 1) ||
      (sub != "up" && sub != "down" && sub != "status") || args.size() > 2) {
    std::cerr << "tenant-api migrate: expected up [<version>] | down <version> | status\n";
    return 2;
  }
  auto cfg = LoadConfigOrReport();
  if (!cfg) return 2;
  log::Configure("tenant-api", cfg->log_level);
  try {
    auto conn = pg::Connection::Connect(cfg->DatabaseConnInfo());
    std::optional<std::string> role_env;
    if (const char* v = std::getenv("DB_MIGRATION_ROLE")) role_env = v;
    std::string note;
    auto role = ResolveMigrationRole(conn, ChooseMigrationRole(role_flag, role_env, cfg->tenant_id), &note);
    if (!note.empty()) std::cerr << "tenant-api migrate: " << note << "\n";
    std::cout << "role " << (role.role.empty() ? "(current user)" : role.role) << " (" << role.source << ")\n";
    migrations::RunnerOptions options;
    options.role = role.role;
    options.allow_downgrade = sub == "down";
    migrations::Runner runner(conn, migrations::Embedded(), options);
    if (sub == "status") {
      auto st = runner.GetStatus();
      std::cout << "current " << st.current_version << ", latest " << st.latest_version << "\n";
      for (const auto& m : st.migrations) {
        std::cout << "  " << m.version << "  " << m.name << "  " << migrations::StateName(m.state)
                  << (m.applied_at.empty() ? "" : "  " + m.applied_at) << "\n";
      }
      return st.has_mismatch() || st.has_unknown() ? 1 : 0;
    }
    auto report = sub == "up" ? runner.Up(version) : runner.Down(*version);
    for (const auto& s : report.steps) {
      std::cout << (s.direction == migrations::Direction::kUp ? "applied " : "reverted ") << s.version << " "
                << s.name << " (" << s.duration_ms << " ms)\n";
    }
    std::cout << "schema version " << report.from_version << " -> " << report.to_version << "\n";
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "tenant-api migrate: " << log::RedactUrl(e.what()) << "\n";
    return 1;
  }
}

int RunCreateUser(const std::vector<std::string>& args) {
  if (WantsHelp(args)) {
    std::cout << "Usage: tenant-api create-user --username NAME --role admin|manager|clerk\n\n"
                 "Reads the password from the first line of stdin (never from the command line,\n"
                 "where other users could see it) and creates the user with a bcrypt hash.\n";
    return 0;
  }
  std::string username, role;
  for (std::size_t i = 0; i < args.size(); ++i) {
    if ((args[i] == "--username" || args[i] == "--role") && i + 1 < args.size()) {
      (args[i] == "--username" ? username : role) = args[i + 1];
      ++i;
    } else {
      std::cerr << "tenant-api create-user: unexpected argument \"" << args[i] << "\"\n";
      return 2;
    }
  }
  if (username.empty() || role.empty()) {
    std::cerr << "tenant-api create-user: --username and --role are required\n";
    return 2;
  }
  std::string password;
  if (isatty(STDIN_FILENO)) std::cerr << "Password: ";
  std::getline(std::cin, password);
  if (password.empty()) {
    std::cerr << "tenant-api create-user: empty password on stdin\n";
    return 2;
  }
  auto cfg = LoadConfigOrReport();
  if (!cfg) return 2;
  log::Configure("tenant-api", cfg->log_level);
  try {
    metrics::Registry registry;
    openapi::Document doc("tenant-api", TENANT_VERSION);
    ratelimit::RateLimiter limiter(cfg->rate_limit, nullptr, registry);
    AppContext ctx{*cfg, registry, limiter, doc, {}, {}, {}};
    handlers::CreateUser(ctx, username, password, role);
    std::cout << "created user " << username << " (" << role << ")\n";
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "tenant-api create-user: " << log::RedactSecrets(e.what(), {password}) << "\n";
    return 1;
  }
}

}  // namespace tenant::api::app
