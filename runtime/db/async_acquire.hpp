#pragma once
// Pool::AcquireAsync bounded like the blocking Acquire: a caller that has to queue for a
// connection gives up at `deadline` with db::PoolExhausted (503), instead of waiting as long
// as the request may and staying in the pool's queue after its client got an answer.
#include <chrono>
#include <exception>
#include <functional>
#include <optional>

#include <boost/asio/any_io_executor.hpp>

#include "runtime/db/pool.hpp"

namespace tenant::api::db {

// `done` runs exactly once, with one of:
//  - (nullptr, lease): a connection, on the thread that granted it (this one, or the one
//    that returned the connection);
//  - (nullptr, nullopt): take the blocking path (see Pool::AcquireAsync);
//  - (PoolExhausted, nullopt): nothing became free by `deadline`, on `strand`.
// Must be called on `strand` (an Asio strand or single-threaded executor): the wait timer
// lives there.
using AsyncLeaseDone = std::function<void(std::exception_ptr error, std::optional<Pool::Lease> lease)>;
void AcquireAsyncUntil(Pool& pool, const boost::asio::any_io_executor& strand,
                       std::chrono::steady_clock::time_point deadline, AsyncLeaseDone done);

}  // namespace tenant::api::db
