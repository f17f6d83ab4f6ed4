#pragma once
// SqlExecutor over real PostgreSQL: a small pool of admin connections per DatabaseServer
// (maintenance database and recently used tenant databases), TLS per the server's sslMode
// and CA. Thread-safe; connections are reused, never opened per statement.
#include <chrono>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <utility>

#include "common/pg/connection.hpp"
#include "operator/database/executor.hpp"

namespace tenant::database {

struct ServerConnectionConfig {
  std::string host;
  int port = 5432;
  std::string ssl_mode = "verify-full";
  std::string ca_pem;  // empty = libpq's default trust store
  std::string admin_user;
  std::string admin_password;
  std::string maintenance_db = "postgres";
  std::chrono::milliseconds connect_timeout{5000};
  // Idle connections kept: to the maintenance database (one per busy worker), and to
  // tenant databases (each is used briefly; kept apart so that a burst of new tenants
  // does not push the maintenance connections out of the pool). A new tenant's database
  // is used again a moment later to insert its first admin: as many tenant connections
  // as tenants provisioned at once (TenantReconcilerOptions::max_provisioning) keep
  // that from opening a new connection (TLS, SCRAM, a new backend) per tenant. Open
  // connections are bounded by the reconcile workers (each uses one at a time).
  std::size_t max_idle = 8;
  std::size_t max_idle_tenant = 8;
};

class PgExecutor final : public SqlExecutor {
 public:
  explicit PgExecutor(ServerConnectionConfig config);
  ~PgExecutor() override;
  PgExecutor(const PgExecutor&) = delete;
  PgExecutor& operator=(const PgExecutor&) = delete;

  Rows Query(std::string_view database, const Statement& st) override;
  void Execute(std::string_view database, const Statement& st) override;
  void ExecuteAll(std::string_view database, const std::vector<Statement>& statements) override;
  std::string ScramVerifier(std::string_view role, std::string_view password) override;
  migrations::Status SchemaStatus(std::string_view database) override;
  MigrationOutcome Migrate(std::string_view database, std::string_view owner_role, int target,
                           bool allow_downgrade) override;

  // "host:port" for messages.
  std::string Endpoint() const;
  // Conninfo without password for logs.
  std::string RedactedConnInfo(std::string_view database) const;

 private:
  class Lease;
  Lease Acquire(std::string_view database, bool allow_reuse = true);
  template <typename Fn>
  auto WithConnection(std::string_view database, Fn&& fn);
  void Release(std::string database, pg::Connection conn);
  std::string ConnInfo(std::string_view database) const;

  ServerConnectionConfig config_;
  std::string ca_file_;  // temp file holding ca_pem (libpq needs a path); removed on destruction
  std::mutex mu_;
  std::deque<std::pair<std::string, pg::Connection>> idle_;  // oldest first
};

}  // namespace tenant::database
