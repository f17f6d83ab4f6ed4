#include "tests/support/postgres_server.hpp"

#include <libpq-fe.h>

#include <csignal>
#include <memory>

#include "tests/support/scripted_service.hpp"
#include "tests/support/service_files.hpp"

namespace tenant::test {
namespace {

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
  explicit Impl(const PostgresServer& server)
      : service({.name = "PostgreSQL",
                 .description = "PostgreSQL 15 (TLS, SCRAM)",
                 .script = ServiceScript("postgres.sh"),
                 .dir_prefix = "pg",
                 .stop_signal = SIGINT,  // fast shutdown, data kept
                 .stop_grace = std::chrono::seconds(30),
                 .start_timeout = std::chrono::seconds(60),
                 .configure =
                     [this](const std::filesystem::path& env_file) {
                       const auto env = ReadEnvFile(env_file);
                       superuser = EnvValue(env, "PGUSER", env_file);
                       password = EnvValue(env, "PGPASSWORD", env_file);
                       ca_file = EnvValue(env, "PGSSLROOTCERT", env_file);
                     },
                 .ready = [&server] { return CanLogIn(server.ConnInfo("postgres")); },
                 .pick_port = {}}) {}

  std::string superuser;
  std::string password;
  std::string ca_file;
  ScriptedService service;  // last: stopped before the strings it reads go
};

PostgresServer::PostgresServer() : impl_(std::make_unique<Impl>(*this)) {}

PostgresServer::~PostgresServer() = default;

PostgresServer& PostgresServer::Shared() {
  static PostgresServer server;
  server.impl_->service.EnsureStarted();
  return server;
}

std::string PostgresServer::host() const { return "localhost"; }
int PostgresServer::port() const { return impl_->service.port(); }
std::string PostgresServer::ca_file() const { return impl_->ca_file; }
std::string PostgresServer::superuser() const { return impl_->superuser; }
std::string PostgresServer::superuser_password() const { return impl_->password; }
std::string PostgresServer::dir() const { return impl_->service.dir().string(); }

std::string PostgresServer::ConnInfo(std::string_view dbname) const {
  return "host=" + Quote(host()) + " port=" + std::to_string(port()) + " dbname=" + Quote(dbname) +
         " user=" + Quote(superuser()) + " password=" + Quote(superuser_password()) +
         " sslmode=verify-full sslrootcert=" + Quote(ca_file()) + " connect_timeout=10";
}

void PostgresServer::Stop() { impl_->service.Stop(); }
void PostgresServer::Start() { impl_->service.Start(); }
bool PostgresServer::running() const { return impl_->service.running(); }
std::string PostgresServer::LogTail(std::size_t lines) const { return impl_->service.LogTail(lines); }

}  // namespace tenant::test
