#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <string_view>

#include <libpq-fe.h>

#include "common/pg/error.hpp"
#include "common/pg/params.hpp"
#include "common/pg/result.hpp"

namespace tenant::pg {

struct ConnDeleter {
  void operator()(PGconn* c) const noexcept { PQfinish(c); }
};
struct CancelDeleter {
  void operator()(PGcancel* c) const noexcept { PQfreeCancel(c); }
};

// One libpq connection, owned (RAII; PQfinish on destruction). Not thread-safe: use one
// Connection per thread at a time (a pool hands them out). Cancel() is the exception: it
// may be called from another thread while a query runs.
//
// Every failure throws a pg::Error subclass chosen by SQLSTATE (see error.hpp); a
// connection that broke during a call throws ConnectionError and IsOpen() turns false.
class Connection {
 public:
  static constexpr std::chrono::milliseconds kDefaultConnectTimeout{10'000};

  // Connects with a libpq conninfo ("key=value ..." or "postgresql://..." URI), giving up
  // after `timeout` (enforced here with non-blocking connect + poll, so sub-second values
  // work, unlike libpq's connect_timeout). Throws ConnectionError / AuthenticationError;
  // the message names host:port and never the password.
  static Connection Connect(std::string_view conninfo,
                            std::chrono::milliseconds timeout = kDefaultConnectTimeout);

  Connection(Connection&&) noexcept;
  Connection& operator=(Connection&&) noexcept;
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  ~Connection();

  // Runs one statement with bound text parameters (extended protocol: exactly one
  // statement, no multi-statement strings). Params may be empty.
  Result Exec(std::string_view sql, const Params& params = {});

  // Runs a script of one or more statements with the simple query protocol (no
  // parameters). For migrations and fixed DDL only; never put values into `sql`.
  void ExecScript(std::string_view sql);

  // Prepares a named statement on this connection (parameter types inferred by the server).
  void Prepare(const std::string& name, std::string_view sql);
  bool IsPrepared(const std::string& name) const { return prepared_.count(name) != 0; }
  Result ExecPrepared(const std::string& name, const Params& params = {});

  // True when connected and usable (not broken). Inside a failed transaction it is still open.
  bool IsOpen() const noexcept;
  // PQTRANS_IDLE / PQTRANS_INTRANS / PQTRANS_INERROR / PQTRANS_ACTIVE / PQTRANS_UNKNOWN.
  PGTransactionStatusType TransactionStatus() const noexcept;
  // Cheap health check for pools: runs an empty query; false if the connection is broken.
  bool Ping() noexcept;
  // Reconnects with the original parameters (prepared statements are forgotten).
  // Throws ConnectionError on failure.
  void Reset(std::chrono::milliseconds timeout = kDefaultConnectTimeout);

  // Asks the server to cancel the statement running on this connection (thread-safe).
  // The running call then throws QueryCanceled. Returns false if the request could not be sent.
  bool Cancel() noexcept;

  int ServerVersion() const noexcept;  // e.g. 150004
  std::string Host() const;            // as connected, for messages
  std::string Port() const;
  std::string User() const;
  std::string Database() const;

  PGconn* native() const noexcept { return conn_.get(); }

 private:
  explicit Connection(std::unique_ptr<PGconn, ConnDeleter> conn);
  Result Check(PGresult* raw, std::string_view what);
  void RefreshCancel();

  std::unique_ptr<PGconn, ConnDeleter> conn_;
  std::unique_ptr<std::mutex> cancel_mu_;  // guards cancel_ (Cancel() runs on other threads)
  std::unique_ptr<PGcancel, CancelDeleter> cancel_;
  std::set<std::string, std::less<>> prepared_;
};

}  // namespace tenant::pg
