#pragma once
// One prepared query run without blocking the calling thread, for the Asio I/O threads: the
// statement is sent at once (libpq non-blocking mode) and the reply is awaited by watching
// the connection's socket with Asio instead of a worker thread sleeping in poll(). A read
// served this way costs no worker thread and no hand-over to and from one.
#include <chrono>
#include <exception>
#include <functional>
#include <memory>

#include <boost/asio/any_io_executor.hpp>

#include "common/pg/params.hpp"
#include "common/pg/result.hpp"
#include "runtime/db/pool.hpp"
#include "runtime/db/query.hpp"

namespace tenant::api::db {

// `error` is null on success; otherwise a pg::Error (the typed exceptions of
// common/pg/error.hpp, pg::ConnectionError when the connection broke: the lease is then
// marked broken).
using AsyncQueryDone = std::function<void(std::exception_ptr error, pg::Result result)>;

// Runs `query` (already prepared on the lease's connection: Connection::IsPrepared) with
// `params`. The lease is returned to the pool as soon as the reply is complete, before
// `done` runs; `done` runs exactly once, on `executor`.
void AsyncExec(Pool::Lease lease, boost::asio::any_io_executor executor, const Query& query,
               const pg::Params& params, AsyncQueryDone done);

}  // namespace tenant::api::db
