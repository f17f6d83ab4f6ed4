#include "tests/support/postgres_server.hpp"

#include <libpq-fe.h>

#include <mutex>
#include <optional>

#include "tests/support/child_process.hpp"
#include "tests/support/free_port.hpp"
#include "tests/support/service_files.hpp"
#include "tests/support/service_start.hpp"
#include "tests/support/temp_dir.hpp"

namespace tenant::test {
namespace {

constexpr auto kStartTimeout = std::chrono::seconds(60);
constexpr int kSetupAttempts = 3;  // new port each time the chosen one was taken meanwhile

// A conninfo value in single quotes, with ' and \ escaped as libpq expects.
std::string Quote(std::string_view value) {
  std::string out = "'";
  for (char c : value) {
    if (c == '\'' || c == '\\') out += '\\';
    out += c;
  }
  return out + "'";
}

bool CanLogIn(const std::string& conninfo) {
  std::unique_ptr<PGconn, decltype(&PQfinish)> conn(PQconnectdb(conninfo.c_str()), &PQfinish);
  return conn && PQstatus(conn.get()) == CONNECTION_OK;
}

}  // namespace

struct PostgresServer::Impl {
  // Declared before `child` so the server is stopped before its directory is removed.
  std::optional<TempDir> dir;
  std::unique_ptr<DirectoryGuard> dir_guard;  // removes `dir` if we die while no server runs
  int port = 0;
  std::string superuser;
  std::string password;
  std::string ca_file;
  std::unique_ptr<ChildProcess> child;
  std::string failure;  // set when the first start failed; Shared() rethrows it

  std::filesystem::path log() const { return dir->path() / "server.log"; }
};

PostgresServer::PostgresServer() : impl_(std::make_unique<Impl>()) {}

PostgresServer::~PostgresServer() = default;

PostgresServer& PostgresServer::Shared() {
  static std::mutex mutex;
  static PostgresServer server;
  std::lock_guard lock(mutex);
  Impl& impl = *server.impl_;
  if (impl.dir) return server;
  if (!impl.failure.empty()) throw std::runtime_error(impl.failure);

  const auto t0 = std::chrono::steady_clock::now();
  const auto script = ServiceScript("postgres.sh");
  for (int attempt = 1;; ++attempt) {
    try {
      impl.dir.emplace("pg");
      if (KeepServiceDirs()) impl.dir->Release();
      impl.dir_guard = GuardDirectory(impl.dir->path());
      impl.port = FreeLoopbackPort();
      RunCommand({"bash", script.string(), "init", impl.dir->path().string(),
                  std::to_string(impl.port)});
      const auto env_file = impl.dir->path() / "env";
      const auto env = ReadEnvFile(env_file);
      impl.superuser = EnvValue(env, "PGUSER", env_file);
      impl.password = EnvValue(env, "PGPASSWORD", env_file);
      impl.ca_file = EnvValue(env, "PGSSLROOTCERT", env_file);
      const auto t1 = std::chrono::steady_clock::now();
      server.Start();
      ReportStarted("PostgreSQL 15 (TLS, SCRAM)", impl.port, t0, t1, impl.dir->path());
      return server;
    } catch (const PortInUseError& e) {
      if (attempt < kSetupAttempts) {
        impl.child.reset();
        impl.dir_guard.reset();
        impl.dir.reset();
        continue;
      }
      impl.failure = "PostgreSQL could not get a free port after " +
                     std::to_string(kSetupAttempts) + " attempts: " + e.what();
    } catch (const std::exception& e) {
      impl.failure = std::string("PostgreSQL test server could not start: ") + e.what();
    }
    impl.child.reset();
    impl.dir_guard.reset();
    impl.dir.reset();
    throw std::runtime_error(impl.failure);
  }
}

std::string PostgresServer::host() const { return "localhost"; }
int PostgresServer::port() const { return impl_->port; }
std::string PostgresServer::ca_file() const { return impl_->ca_file; }
std::string PostgresServer::superuser() const { return impl_->superuser; }
std::string PostgresServer::superuser_password() const { return impl_->password; }
std::string PostgresServer::dir() const { return impl_->dir ? impl_->dir->path().string() : ""; }

std::string PostgresServer::ConnInfo(std::string_view dbname) const {
  return "host=" + Quote(host()) + " port=" + std::to_string(port()) + " dbname=" + Quote(dbname) +
         " user=" + Quote(superuser()) + " password=" + Quote(superuser_password()) +
         " sslmode=verify-full sslrootcert=" + Quote(ca_file()) + " connect_timeout=10";
}

void PostgresServer::Stop() {
  if (impl_->child) impl_->child->Stop();  // SIGINT: fast shutdown, data kept
  impl_->child.reset();
}

void PostgresServer::Start() {
  if (running()) return;
  impl_->child.reset();
  ChildOptions options;
  options.argv = {"bash", ServiceScript("postgres.sh").string(), "run", dir()};
  options.log_file = impl_->log();
  options.stop_signal = SIGINT;
  options.stop_grace = std::chrono::seconds(30);
  if (!KeepServiceDirs()) options.remove_on_orphan = dir();
  impl_->child = std::make_unique<ChildProcess>(options);
  const std::string conninfo = ConnInfo("postgres");
  WaitUntilReady(
      *impl_->child, [&] { return CanLogIn(conninfo); }, "PostgreSQL", impl_->log(),
      kStartTimeout);
}

bool PostgresServer::running() const { return impl_->child && impl_->child->Running(); }

std::string PostgresServer::LogTail(std::size_t lines) const {
  return impl_->dir ? TailFile(impl_->log(), lines) : "";
}

}  // namespace tenant::test
