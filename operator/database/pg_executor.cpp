#include "operator/database/pg_executor.hpp"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <optional>
#include <stdexcept>

#include "common/pg/conninfo.hpp"
#include "common/pg/scram.hpp"
#include "operator/database/random.hpp"

namespace tenant::database {

// Returns its connection to the pool when the caller is done, unless it broke or was left
// inside a transaction (then it is closed: a broken connection must never be reused).
class PgExecutor::Lease {
 public:
  Lease(PgExecutor& owner, std::string db, pg::Connection conn, bool reused)
      : owner_(&owner), db_(std::move(db)), conn_(std::move(conn)), reused_(reused) {}
  Lease(Lease&& o) noexcept
      : owner_(o.owner_), db_(std::move(o.db_)), conn_(std::move(o.conn_)), reused_(o.reused_) {
    o.owner_ = nullptr;
  }
  Lease& operator=(Lease&&) = delete;
  ~Lease() {
    if (owner_ != nullptr && conn_ && conn_->IsOpen() && conn_->TransactionStatus() == PQTRANS_IDLE) {
      owner_->Release(std::move(db_), std::move(*conn_));
    }
  }
  pg::Connection& operator*() { return *conn_; }
  pg::Connection* operator->() { return &*conn_; }
  // Came from the idle pool (may have been cut by a server restart while idle).
  bool reused() const { return reused_; }

 private:
  PgExecutor* owner_;
  std::string db_;
  std::optional<pg::Connection> conn_;
  bool reused_ = false;
};

// Runs `fn` on a pooled connection; when a reused idle connection turns out broken (the
// server restarted while it sat in the pool), retries once on a fresh one so a recovered
// server is not reported unreachable because of a stale socket.
template <typename Fn>
auto PgExecutor::WithConnection(std::string_view database, Fn&& fn) {
  auto conn = Acquire(database);
  try {
    return fn(*conn);
  } catch (const pg::ConnectionError&) {
    if (!conn.reused() || conn->IsOpen()) throw;
  }
  auto fresh = Acquire(database, /*allow_reuse=*/false);
  return fn(*fresh);
}

PgExecutor::PgExecutor(ServerConnectionConfig config) : config_(std::move(config)) {
  if (!config_.ca_pem.empty()) {
    auto path = std::filesystem::temp_directory_path() / ("tenant-operator-ca-" + RandomToken(9) + ".crt");
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << config_.ca_pem;
    if (!out) throw std::runtime_error("cannot write CA file " + path.string());
    ca_file_ = path.string();
  }
}

PgExecutor::~PgExecutor() {
  if (!ca_file_.empty()) {
    std::error_code ec;
    std::filesystem::remove(ca_file_, ec);
  }
}

std::string PgExecutor::Endpoint() const { return config_.host + ":" + std::to_string(config_.port); }

std::string PgExecutor::ConnInfo(std::string_view database) const {
  pg::ConnInfoBuilder b;
  b.Host(config_.host)
      .Port(config_.port)
      .DbName(database.empty() ? config_.maintenance_db : database)
      .User(config_.admin_user)
      .Password(config_.admin_password)
      .SslMode(config_.ssl_mode)
      .ApplicationName("tenant-operator");
  if (!ca_file_.empty()) b.SslRootCert(ca_file_);
  return b.Build();
}

std::string PgExecutor::RedactedConnInfo(std::string_view database) const {
  return pg::RedactConnInfo(ConnInfo(database));
}

PgExecutor::Lease PgExecutor::Acquire(std::string_view database, bool allow_reuse) {
  const std::string db = database.empty() ? config_.maintenance_db : std::string(database);
  if (allow_reuse) {
    std::lock_guard lock(mu_);
    for (auto it = idle_.rbegin(); it != idle_.rend(); ++it) {
      if (it->first == db) {
        pg::Connection conn = std::move(it->second);
        idle_.erase(std::next(it).base());
        if (conn.IsOpen()) return Lease(*this, db, std::move(conn), true);
        break;
      }
    }
  }
  return Lease(*this, db, pg::Connection::Connect(ConnInfo(db), config_.connect_timeout), false);
}

void PgExecutor::Release(std::string database, pg::Connection conn) {
  std::lock_guard lock(mu_);
  const bool maintenance = database == config_.maintenance_db;
  idle_.emplace_back(std::move(database), std::move(conn));
  // Evict the oldest idle connection of the same kind beyond its limit.
  std::size_t kept = 0;
  const std::size_t limit = maintenance ? config_.max_idle : config_.max_idle_tenant;
  for (auto it = idle_.rbegin(); it != idle_.rend();) {
    if ((it->first == config_.maintenance_db) != maintenance || ++kept <= limit) {
      ++it;
      continue;
    }
    it = std::make_reverse_iterator(idle_.erase(std::next(it).base()));
  }
}

Rows PgExecutor::Query(std::string_view database, const Statement& st) {
  pg::Result r = WithConnection(database, [&st](pg::Connection& c) { return c.Exec(st.sql, st.params); });
  Rows out;
  for (int c = 0; c < r.columns(); ++c) out.columns.emplace_back(r.ColumnName(c));
  for (int i = 0; i < r.rows(); ++i) {
    std::vector<std::optional<std::string>> row;
    for (int c = 0; c < r.columns(); ++c) row.push_back(r.Optional(i, c));
    out.rows.push_back(std::move(row));
  }
  return out;
}

void PgExecutor::Execute(std::string_view database, const Statement& st) {
  WithConnection(database, [&st](pg::Connection& c) {
    if (st.params.empty()) {
      // Utility statements (DDL) go through the simple protocol; they carry no values.
      c.ExecScript(st.sql);
    } else {
      c.Exec(st.sql, st.params);
    }
    return 0;
  });
}

void PgExecutor::ExecuteAll(std::string_view database, const std::vector<Statement>& statements) {
  if (statements.empty()) return;
  std::string script;
  for (const auto& st : statements) {
    if (!st.params.empty()) throw std::logic_error("ExecuteAll takes parameterless statements only: " + st.action);
    script += st.sql;
    script += ";\n";
  }
  WithConnection(database, [&script](pg::Connection& c) {
    c.ExecScript(script);
    return 0;
  });
}

std::string PgExecutor::ScramVerifier(std::string_view role, std::string_view password) {
  return WithConnection({}, [&](pg::Connection& c) { return pg::ScramVerifier(c, role, password); });
}

migrations::Status PgExecutor::SchemaStatus(std::string_view database) {
  return WithConnection(database, [](pg::Connection& c) {
    migrations::Runner runner(c, migrations::Embedded());
    return runner.GetStatus();
  });
}

MigrationOutcome PgExecutor::Migrate(std::string_view database, std::string_view owner_role, int target,
                                     bool allow_downgrade) {
  auto conn = Acquire(database);
  migrations::RunnerOptions opts;
  opts.role = std::string(owner_role);
  opts.allow_downgrade = allow_downgrade;
  opts.lock_timeout = std::chrono::seconds(30);
  migrations::Runner runner(*conn, migrations::Embedded(), opts);
  migrations::RunReport report;
  try {
    report = runner.MigrateTo(target);
  } catch (...) {
    // The pooled connection must be the admin again whatever the runner left behind.
    try {
      if (conn->IsOpen() && conn->TransactionStatus() == PQTRANS_IDLE) conn->ExecScript("RESET ROLE");
    } catch (...) {
    }
    throw;
  }
  conn->ExecScript("RESET ROLE");
  return MigrationOutcome{report.from_version, report.to_version, static_cast<int>(report.steps.size())};
}

}  // namespace tenant::database
