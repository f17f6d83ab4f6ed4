#pragma once
// A real PostgreSQL 15 for integration tests: TLS with its own CA (server certificate SAN
// DNS:localhost + IP:127.0.0.1), SCRAM-SHA-256 only, hostssl only over TCP, listening on
// 127.0.0.1 on a free port, data in a temporary directory. Set up by
// tests/services/postgres.sh so tests and scripts/demo.sh share one definition.
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

namespace tenant::test {

class PostgresServer {
 public:
  // Started lazily on the first call, once per test process; stopped and its directory
  // removed at exit. Throws std::runtime_error (with the server log tail) if it cannot start.
  // Shared() is thread-safe; Stop()/Start() are not: call them from the test's own thread
  // (and Start() again before the test case ends — the next one expects a running server).
  static PostgresServer& Shared();

  std::string host() const;  // "localhost" (matches the certificate SAN)
  int port() const;
  std::string ca_file() const;  // PEM of the CA that signed the server certificate
  std::string superuser() const;  // role with SUPERUSER, password auth over TLS
  std::string superuser_password() const;
  // libpq conninfo for the superuser, sslmode=verify-full, sslrootcert=ca_file().
  // Contains the password: never log it.
  std::string ConnInfo(std::string_view dbname = "postgres") const;

  void Stop();   // fast shutdown (SIGINT); data kept; for outage tests. No-op when stopped.
  void Start();  // same port and data again; waits until it accepts TLS logins
  bool running() const;

  std::string dir() const;  // the temporary directory (data/, certs, server.log)
  std::string LogTail(std::size_t lines = 40) const;  // last lines of the server log

  ~PostgresServer();
  PostgresServer(const PostgresServer&) = delete;
  PostgresServer& operator=(const PostgresServer&) = delete;

 private:
  PostgresServer();
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace tenant::test
