#include "common/pg/connection.hpp"

#include <poll.h>

#include <cerrno>
#include <string>
#include <vector>

#include "common/log/log.hpp"
#include "common/pg/conninfo.hpp"

namespace tenant::pg {
namespace {

using Clock = std::chrono::steady_clock;

std::string TrimTrailing(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

std::string ConnMessage(const PGconn* conn) {
  return TrimTrailing(conn != nullptr ? PQerrorMessage(conn) : "out of memory");
}

std::string Where(const PGconn* conn) {
  const char* host = PQhost(conn);
  const char* port = PQport(conn);
  return std::string(host != nullptr && *host != '\0' ? host : "local socket") + ":" +
         (port != nullptr && *port != '\0' ? port : "5432");
}

// libpq reports connect-time failures only as text (no SQLSTATE is exposed before the
// session exists); recognise the cases callers act on differently.
[[noreturn]] void ThrowConnectFailure(const PGconn* conn, const std::string& detail) {
  const std::string msg = "could not connect to " + Where(conn) + ": " + SummarizeConnectFailure(detail);
  if (detail.find("password authentication failed") != std::string::npos ||
      detail.find("SCRAM authentication") != std::string::npos ||
      detail.find("no password supplied") != std::string::npos) {
    throw AuthenticationError(msg, "28P01");
  }
  if (detail.find("no pg_hba.conf entry") != std::string::npos) {
    throw AuthenticationError(msg, "28000");
  }
  if (detail.find("does not exist") != std::string::npos &&
      detail.find("database") != std::string::npos) {
    throw ConnectionError(msg, "3D000");
  }
  throw ConnectionError(msg, "08006");
}

// Drives PQconnectPoll/PQresetPoll until done or `timeout` passes (libpq's documented
// non-blocking connect loop; the socket can change between hosts, so re-read it each turn).
void PollUntilConnected(PGconn* conn, PostgresPollingStatusType (*poll_fn)(PGconn*),
                        std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  PostgresPollingStatusType st = PGRES_POLLING_WRITING;
  for (;;) {
    if (st == PGRES_POLLING_OK) return;
    if (st == PGRES_POLLING_FAILED) ThrowConnectFailure(conn, ConnMessage(conn));
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) {
      ThrowConnectFailure(conn, "timeout after " + std::to_string(timeout.count()) + " ms");
    }
    pollfd pfd{};
    pfd.fd = PQsocket(conn);
    pfd.events = st == PGRES_POLLING_READING ? POLLIN : POLLOUT;
    if (pfd.fd < 0) ThrowConnectFailure(conn, ConnMessage(conn));
    const int rc = ::poll(&pfd, 1, static_cast<int>(left.count()));
    if (rc < 0 && errno == EINTR) continue;
    if (rc < 0) ThrowConnectFailure(conn, "poll failed");
    if (rc == 0) continue;  // deadline check above reports the timeout
    st = poll_fn(conn);
  }
}

ErrorFields FieldsOf(const PGresult* r) {
  auto get = [r](int code) {
    const char* v = PQresultErrorField(r, code);
    return std::string(v != nullptr ? v : "");
  };
  return ErrorFields{get(PG_DIAG_MESSAGE_DETAIL), get(PG_DIAG_MESSAGE_HINT),
                     get(PG_DIAG_SCHEMA_NAME),    get(PG_DIAG_TABLE_NAME),
                     get(PG_DIAG_COLUMN_NAME),    get(PG_DIAG_CONSTRAINT_NAME)};
}

// Keeps the const char* array libpq wants alive next to the Params.
struct BoundParams {
  explicit BoundParams(const Params& params) {
    values.reserve(params.size());
    for (const auto& p : params) values.push_back(p.is_null() ? nullptr : p.value().c_str());
  }
  int count() const { return static_cast<int>(values.size()); }
  const char* const* data() const { return values.empty() ? nullptr : values.data(); }
  std::vector<const char*> values;
};

}  // namespace

namespace {
// Server NOTICE/WARNING messages go to the JSON log (debug) instead of libpq's default of
// raw lines on stderr, which would break the one-JSON-object-per-line log stream.
void LogNotice(void* /*arg*/, const char* message) {
  std::string text = message != nullptr ? message : "";
  while (!text.empty() && text.back() == '\n') text.pop_back();
  log::Debug("PostgreSQL notice", {{"message", text}});
}
}  // namespace

Connection::Connection(std::unique_ptr<PGconn, ConnDeleter> conn)
    : conn_(std::move(conn)), cancel_mu_(std::make_unique<std::mutex>()) {
  PQsetNoticeProcessor(conn_.get(), &LogNotice, nullptr);
  RefreshCancel();
}

Connection::Connection(Connection&&) noexcept = default;
Connection& Connection::operator=(Connection&&) noexcept = default;
Connection::~Connection() = default;

Connection Connection::Connect(std::string_view conninfo, std::chrono::milliseconds timeout) {
  // client_encoding first so an explicit setting inside `conninfo` (expanded from dbname)
  // still wins; UTF8 is what QuoteIdentifier/QuoteLiteral assume.
  const std::string info(conninfo);
  // Validate first: libpq's own parse errors quote the offending fragment, which may be
  // the password. A malformed conninfo is a configuration error, not a transient one.
  try {
    (void)ParseConnInfo(info);
  } catch (const std::invalid_argument&) {
    throw Error("invalid connection string (not shown: it may contain a password)", "");
  }
  const char* keys[] = {"client_encoding", "dbname", nullptr};
  const char* values[] = {"UTF8", info.c_str(), nullptr};
  std::unique_ptr<PGconn, ConnDeleter> conn(PQconnectStartParams(keys, values, 1));
  if (!conn) throw ConnectionError("could not allocate a libpq connection", "08006");
  if (PQstatus(conn.get()) == CONNECTION_BAD) ThrowConnectFailure(conn.get(), ConnMessage(conn.get()));
  PollUntilConnected(conn.get(), &PQconnectPoll, timeout);
  return Connection(std::move(conn));
}

void Connection::RefreshCancel() {
  std::lock_guard lock(*cancel_mu_);
  cancel_.reset(conn_ ? PQgetCancel(conn_.get()) : nullptr);
}

Result Connection::Check(PGresult* raw, std::string_view what) {
  Result result(raw);
  if (raw == nullptr) {
    throw ConnectionError(std::string(what) + ": " + ConnMessage(conn_.get()), "08006");
  }
  switch (PQresultStatus(raw)) {
    case PGRES_COMMAND_OK:
    case PGRES_TUPLES_OK:
    case PGRES_EMPTY_QUERY:
      return result;
    default:
      break;
  }
  const char* state = PQresultErrorField(raw, PG_DIAG_SQLSTATE);
  const char* primary = PQresultErrorField(raw, PG_DIAG_MESSAGE_PRIMARY);
  std::string message = primary != nullptr ? primary : TrimTrailing(PQresultErrorMessage(raw));
  if (message.empty()) message = ConnMessage(conn_.get());
  std::string sqlstate = state != nullptr ? state : "";
  if (PQstatus(conn_.get()) == CONNECTION_BAD) {
    // Whatever the code, the session is gone: callers must reconnect.
    throw ConnectionError("connection to " + Where(conn_.get()) + " lost: " + message,
                          sqlstate.empty() ? "08006" : sqlstate, FieldsOf(raw));
  }
  ThrowForSqlState(std::move(message), std::move(sqlstate), FieldsOf(raw));
}

Result Connection::Exec(std::string_view sql, const Params& params) {
  const std::string text(sql);
  const BoundParams bound(params);
  return Check(PQexecParams(conn_.get(), text.c_str(), bound.count(), nullptr, bound.data(),
                            nullptr, nullptr, 0),
               "query failed");
}

void Connection::ExecScript(std::string_view sql) {
  const std::string text(sql);
  Check(PQexec(conn_.get(), text.c_str()), "script failed");
}

void Connection::Prepare(const std::string& name, std::string_view sql) {
  const std::string text(sql);
  Check(PQprepare(conn_.get(), name.c_str(), text.c_str(), 0, nullptr), "prepare failed");
  prepared_.insert(name);
}

Result Connection::ExecPrepared(const std::string& name, const Params& params) {
  const BoundParams bound(params);
  return Check(PQexecPrepared(conn_.get(), name.c_str(), bound.count(), bound.data(), nullptr,
                              nullptr, 0),
               "query failed");
}

bool Connection::IsOpen() const noexcept {
  return conn_ && PQstatus(conn_.get()) == CONNECTION_OK;
}

PGTransactionStatusType Connection::TransactionStatus() const noexcept {
  return conn_ ? PQtransactionStatus(conn_.get()) : PQTRANS_UNKNOWN;
}

bool Connection::Ping() noexcept {
  if (!IsOpen()) return false;
  Result r(PQexec(conn_.get(), ""));
  return r.native() != nullptr && PQresultStatus(r.native()) == PGRES_EMPTY_QUERY &&
         IsOpen();
}

void Connection::Reset(std::chrono::milliseconds timeout) {
  prepared_.clear();
  if (!conn_) throw ConnectionError("connection was moved from", "08003");
  if (PQresetStart(conn_.get()) == 0) ThrowConnectFailure(conn_.get(), ConnMessage(conn_.get()));
  PollUntilConnected(conn_.get(), &PQresetPoll, timeout);
  RefreshCancel();
}

bool Connection::Cancel() noexcept {
  if (!cancel_mu_) return false;
  std::lock_guard lock(*cancel_mu_);
  if (!cancel_) return false;
  char err[256];
  return PQcancel(cancel_.get(), err, sizeof err) == 1;
}

int Connection::ServerVersion() const noexcept { return conn_ ? PQserverVersion(conn_.get()) : 0; }

namespace {
std::string OrEmpty(const char* s) { return s != nullptr ? s : ""; }
}  // namespace

std::string Connection::Host() const { return conn_ ? OrEmpty(PQhost(conn_.get())) : ""; }
std::string Connection::Port() const { return conn_ ? OrEmpty(PQport(conn_.get())) : ""; }
std::string Connection::User() const { return conn_ ? OrEmpty(PQuser(conn_.get())) : ""; }
std::string Connection::Database() const { return conn_ ? OrEmpty(PQdb(conn_.get())) : ""; }

}  // namespace tenant::pg
