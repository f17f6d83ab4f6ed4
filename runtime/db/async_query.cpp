#include "runtime/db/async_query.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>

#include <optional>
#include <string>
#include <vector>

#include "common/pg/error.hpp"
#include "runtime/db/pg_failure.hpp"

namespace tenant::api::db {
namespace {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

// The server ended the session (57P01 and friends) even if libpq has not noticed yet.
bool IsConnectionError(const std::exception_ptr& error) {
  try {
    std::rethrow_exception(error);
  } catch (const pg::ConnectionError&) {
    return true;
  } catch (...) {
    return false;
  }
}

class AsyncQuery : public std::enable_shared_from_this<AsyncQuery> {
 public:
  AsyncQuery(Pool::Lease lease, asio::any_io_executor ex, const Query& query, AsyncQueryDone done)
      : lease_(std::move(lease)), executor_(ex), socket_(ex), query_(query), done_(std::move(done)),
        start_(Clock::now()) {}

  ~AsyncQuery() {
    // The descriptor belongs to libpq: stop watching it without closing it.
    if (socket_.is_open()) socket_.release();
    // Destroyed before Finish: the io_context was torn down (shutdown) while the statement
    // was still running. The connection is mid-protocol and non-blocking: drop it.
    if (lease_) lease_->MarkBroken();
  }

  void Start(const pg::Params& params) {
    PGconn* c = conn();
    try {
      boost::system::error_code ec;
      socket_.assign(PQsocket(c), ec);
      if (ec) throw pg::ConnectionError("watching the connection's socket failed: " + ec.message(), "08006");
      if (PQsetnonblocking(c, 1) != 0) ThrowConnectionLost(c, "entering non-blocking mode failed");
      std::vector<const char*> values;
      values.reserve(params.size());
      for (const auto& p : params) values.push_back(p.is_null() ? nullptr : p.value().c_str());
      const std::string name(query_.name);
      if (PQsendQueryPrepared(c, name.c_str(), static_cast<int>(values.size()), values.data(), nullptr, nullptr, 0) != 1) {
        ThrowConnectionLost(c, "sending the query failed");
      }
    } catch (...) {
      return Fail(std::current_exception());
    }
    Flush();
  }

 private:
  PGconn* conn() { return lease_->conn().native(); }

  // Sends what libpq still buffers; statements this small normally leave in one write.
  void Flush() {
    const int r = PQflush(conn());
    if (r < 0) return FailConnection("sending the query failed");
    if (r == 0) return Collect();
    socket_.async_wait(asio::posix::stream_descriptor::wait_write,
                       [self = shared_from_this()](boost::system::error_code ec) {
                         if (ec) return self->FailConnection("waiting to send failed");
                         self->Flush();
                       });
  }

  // Reads results while libpq has complete ones; waits for the socket when it has not.
  void Collect() {
    PGconn* c = conn();
    while (!PQisBusy(c)) {
      pg::Result r(PQgetResult(c));
      if (r.native() == nullptr) return Finish();  // the query's results are complete
      const auto status = PQresultStatus(r.native());
      if (status == PGRES_FATAL_ERROR) {
        if (!error_) error_ = StatementError(c, r.native());
      } else if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK) {
        return FailConnection("unexpected result");
      } else if (!result_) {
        result_ = std::move(r);
      }
    }
    socket_.async_wait(asio::posix::stream_descriptor::wait_read,
                       [self = shared_from_this()](boost::system::error_code ec) {
                         if (ec) return self->FailConnection("waiting for the reply failed");
                         if (PQconsumeInput(self->conn()) != 1) return self->FailConnection("reading the reply failed");
                         self->Collect();
                       });
  }

  void FailConnection(const char* what) {
    try {
      ThrowConnectionLost(conn(), what);
    } catch (...) {
      Fail(std::current_exception());
    }
  }

  void Fail(std::exception_ptr error) {
    lease_->MarkBroken();  // the protocol state is unknown: the pool drops the connection
    error_ = std::move(error);
    result_.reset();
    Finish();
  }

  void Finish() {
    if (socket_.is_open()) socket_.release();
    PGconn* c = conn();
    if (PQsetnonblocking(c, 0) != 0) lease_->MarkBroken();
    lease_->RecordQuery(query_.name, std::chrono::duration<double>(Clock::now() - start_).count());
    if (error_ && (PQstatus(c) == CONNECTION_BAD || IsConnectionError(error_))) lease_->MarkBroken();
    lease_.reset();  // back to the pool (or to the next waiter) before the caller continues
    asio::post(executor_, [done = std::move(done_), error = std::move(error_),
                           result = std::move(result_)]() mutable {
      done(std::move(error), result ? std::move(*result) : pg::Result());
    });
  }

  std::optional<Pool::Lease> lease_;
  asio::any_io_executor executor_;
  asio::posix::stream_descriptor socket_;
  const Query& query_;
  AsyncQueryDone done_;
  Clock::time_point start_;
  std::exception_ptr error_;
  std::optional<pg::Result> result_;
};

}  // namespace

void AsyncExec(Pool::Lease lease, asio::any_io_executor executor, const Query& query, const pg::Params& params,
               AsyncQueryDone done) {
  std::make_shared<AsyncQuery>(std::move(lease), std::move(executor), query, std::move(done))->Start(params);
}

}  // namespace tenant::api::db
