#include "runtime/db/async_query.hpp"

#include <boost/asio/execution/context.hpp>
#include <boost/asio/execution_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/query.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <unordered_map>
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

// The Asio watcher of each pooled connection's socket, kept per io_context across
// queries. Creating one per query registered the socket with epoll and removed it again
// (two epoll_ctl calls, plus an ioctl for non-blocking mode) on every statement.
// Entries are keyed by descriptor and checked against the connection's serial: a closed
// connection's descriptor leaves the kernel's epoll set by itself, and when the number is
// reused by a new connection the stale watcher is released (it never closes the
// descriptor, which belongs to libpq) and a new one registered. The context's shutdown
// drops them all. Guarded by a mutex: a query may start on the thread that returned the
// connection to the pool (a worker), not the one whose context completes it.
class SocketWatchers : public asio::execution_context::service {
 public:
  using key_type = SocketWatchers;
  static asio::execution_context::id id;

  explicit SocketWatchers(asio::execution_context& context) : service(context) {}

  asio::posix::stream_descriptor& For(const asio::any_io_executor& ex, int fd, std::uint64_t serial) {
    std::lock_guard lk(mu_);
    Entry& e = by_fd_[fd];
    if (e.watcher && e.serial == serial) return *e.watcher;
    if (e.watcher) e.watcher->release();  // a closed connection's: not ours to close
    e.watcher = std::make_unique<asio::posix::stream_descriptor>(ex, fd);
    e.serial = serial;
    return *e.watcher;
  }

 private:
  void shutdown() override {
    std::lock_guard lk(mu_);
    for (auto& [fd, e] : by_fd_) {
      if (e.watcher) e.watcher->release();
    }
    by_fd_.clear();
  }

  struct Entry {
    std::uint64_t serial = 0;
    std::unique_ptr<asio::posix::stream_descriptor> watcher;
  };
  std::mutex mu_;
  std::unordered_map<int, Entry> by_fd_;
};

asio::execution_context::id SocketWatchers::id;

class AsyncQuery : public std::enable_shared_from_this<AsyncQuery> {
 public:
  AsyncQuery(Pool::Lease lease, asio::any_io_executor ex, const Query& query, AsyncQueryDone done)
      : lease_(std::move(lease)), executor_(ex), query_(query), done_(std::move(done)), start_(Clock::now()) {}

  ~AsyncQuery() {
    // Destroyed before Finish: the io_context was torn down (shutdown) while the statement
    // was still running. The connection is mid-protocol and non-blocking: drop it.
    if (lease_) lease_->MarkBroken();
  }

  void Start(const pg::Params& params) {
    PGconn* c = conn();
    try {
      const int fd = PQsocket(c);
      if (fd < 0) ThrowConnectionLost(c, "the connection has no socket");
      socket_ = &asio::use_service<SocketWatchers>(asio::query(executor_, asio::execution::context))
                     .For(executor_, fd, lease_->connection_serial());
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
    socket_->async_wait(asio::posix::stream_descriptor::wait_write,
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
    socket_->async_wait(asio::posix::stream_descriptor::wait_read,
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
  asio::posix::stream_descriptor* socket_ = nullptr;  // owned by SocketWatchers
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
