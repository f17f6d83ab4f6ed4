#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "common/metrics/metrics.hpp"
#include "common/pg/connection.hpp"
#include "runtime/db/query.hpp"

namespace tenant::api::db {

// One statement of Lease::ExecPipeline: a named query with parameters, or (query == nullptr)
// a parameterless command such as BEGIN or COMMIT.
struct PipelineStep {
  const Query* query = nullptr;
  std::string_view command;
  pg::Params params;
};

struct PoolOptions {
  std::string conninfo;   // DATABASE_URL (URI or key=value); may contain the password
  std::string ssl_mode;   // DB_SSL_MODE; overrides sslmode in conninfo when non-empty
  std::size_t size = 10;  // DB_POOL_SIZE
  // A request never waits longer than this for a connection; then PoolExhausted (503).
  std::chrono::milliseconds acquire_timeout{2000};
  // DB_STATEMENT_TIMEOUT_MS, sent as a startup option on every connection; 0 = server default.
  std::chrono::milliseconds statement_timeout{5000};
  std::chrono::milliseconds connect_timeout{3000};
  // A connection idle for longer than this is pinged before it is handed out.
  std::chrono::milliseconds idle_check_after{10000};
  // Reconnect backoff after failed connects: full jitter, doubling from initial up to max.
  std::chrono::milliseconds backoff_initial{50};
  std::chrono::milliseconds backoff_max{5000};
  std::string application_name = "tenant-api";
  // db_pool_connections{state}, db_query_duration_seconds{query}; nullptr = no metrics.
  metrics::Registry* registry = nullptr;
};

// No connection became free within acquire_timeout (all in use). Maps to 503.
class PoolExhausted : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};
// The database cannot be reached (connect failed, or still inside the reconnect backoff
// window after failures), or the pool is closed. Maps to 503. Never contains the password.
class DatabaseUnavailable : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A fixed-size pool of pg::Connection. Connections are opened lazily (a database that is
// down at start-up does not stop the process; readiness reports it) and re-opened with
// exponential backoff + jitter after failures. Thread-safe.
class Pool {
  struct Slot;

 public:
  // RAII loan of one connection; returned to the pool on destruction. A connection that
  // broke, or is left inside a transaction that cannot be rolled back, is discarded.
  class Lease {
   public:
    Lease(Lease&& other) noexcept;
    Lease& operator=(Lease&&) = delete;
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    ~Lease();

    pg::Connection& conn() { return *slot_->conn; }
    // Runs a named query as a prepared statement (prepared on first use per connection),
    // timing it into db_query_duration_seconds. A pg::ConnectionError marks the
    // connection broken before it propagates.
    pg::Result Exec(const Query& query, const pg::Params& params = {});
    // Plain statements (BEGIN/COMMIT/ROLLBACK, savepoints); same error handling.
    pg::Result ExecRaw(std::string_view sql);
    // Several statements in ONE network round trip (libpq pipeline mode), e.g. BEGIN + the
    // first statement of a transaction, or its last statement + COMMIT: every round trip
    // costs a thread wake-up on both sides. Results in order. If a statement fails, the
    // ones after it are skipped by the server and its error is thrown like Exec's (after
    // the pipeline is drained, so the connection stays usable; a transaction begun in the
    // same pipeline is then open and failed: roll it back).
    std::vector<pg::Result> ExecPipeline(const std::vector<PipelineStep>& steps);
    void MarkBroken() noexcept { broken_ = true; }
    // Differs for every connection the pool opens (a reconnect gets a new one), unlike the
    // socket descriptor, which the system reuses: AsyncExec keys its socket watchers by it.
    std::uint64_t connection_serial() const { return slot_->serial; }
    // db_query_duration_seconds for a query run outside Exec (AsyncExec).
    void RecordQuery(std::string_view name, double seconds);

   private:
    friend class Pool;
    Lease(Pool* pool, Slot* slot) : pool_(pool), slot_(slot) {}
    Pool* pool_;
    Slot* slot_;
    bool broken_ = false;
  };

  struct Stats {
    std::size_t size = 0;
    std::size_t idle = 0;    // open and free
    std::size_t in_use = 0;  // loaned out
    std::size_t open = 0;    // idle + in_use
    std::size_t waiting = 0;  // callers queued in Acquire or AcquireAsync
    std::uint64_t acquire_timeouts = 0;
    std::uint64_t connect_failures = 0;
  };

  explicit Pool(PoolOptions options);
  ~Pool();
  Pool(const Pool&) = delete;
  Pool& operator=(const Pool&) = delete;

  // Throws PoolExhausted or DatabaseUnavailable; never waits beyond acquire_timeout.
  Lease Acquire();
  Lease Acquire(std::chrono::milliseconds timeout);

  // Acquisition for threads that must never block (the Asio I/O threads). `granted` runs
  // once (unless CancelAsync took the caller out of line first), never under the pool's lock:
  //  - at once with a lease when an open, recently used connection is idle and nobody waits;
  //  - later, on the thread returning a connection, with that lease when the caller had to
  //    queue (first come, first served together with the blocking waiters);
  //  - with nullopt when the caller should take the blocking path (Acquire on a worker)
  //    instead: a connection must be opened or pinged first, or the pool is closed.
  // Returns 0 when `granted` has run already, else the ticket of the queued caller: the pool
  // has no timer of its own, so a caller that stops waiting (acquire timeout, see
  // db::AcquireAsyncUntil) takes itself out of line with CancelAsync.
  using AsyncGrant = std::function<void(std::optional<Lease>)>;
  std::uint64_t AcquireAsync(AsyncGrant granted);
  // Removes a queued AcquireAsync caller. True when it was still queued: its `granted` never
  // runs and the wait counts as an acquire timeout. False when it has been served already.
  bool CancelAsync(std::uint64_t ticket);

  Stats GetStats() const;
  std::chrono::milliseconds acquire_timeout() const { return options_.acquire_timeout; }
  // Closes idle connections and refuses further loans; loaned ones close on return.
  void Close();

  // The conninfo actually used (sslmode, statement_timeout, application_name applied),
  // redacted: safe to log.
  std::string RedactedConnInfo() const;

 private:
  struct Slot {
    std::optional<pg::Connection> conn;
    std::uint64_t serial = 0;  // of `conn` (Lease::connection_serial)
    std::chrono::steady_clock::time_point last_used;
  };
  // A thread blocked in Acquire. Waiters are served first come, first served: Release hands
  // a connection straight to the oldest waiter (`granted`) instead of putting it back for
  // whichever thread takes the lock first, so a waiter cannot be overtaken again and again
  // by threads arriving later (that barging made the slowest requests wait for hundreds of
  // milliseconds under load while the average stayed low).
  struct Waiter {
    Slot* granted = nullptr;
    std::condition_variable cv;
    AsyncGrant async;  // set for AcquireAsync waiters (owned by async_waiters_)
    std::uint64_t ticket = 0;  // AcquireAsync waiters: the handle of CancelAsync
    std::chrono::steady_clock::time_point since;
  };

  void Release(Slot* slot, bool broken);
  // Both return the grant of an asynchronous waiter taken out of the queue by
  // OfferFreeSlotLocked: the caller runs it with std::nullopt once the lock is released.
  [[nodiscard]] AsyncGrant RemoveWaiterLocked(Waiter* w);
  // A connect slot is free (or a backoff changed): the oldest waiter may use it. A blocking
  // waiter is woken; an asynchronous one leaves the queue and is sent down the blocking path
  // (which connects, or fails at once inside a backoff it cannot wait out) instead of
  // sitting in line, untold, until its own acquire timeout.
  [[nodiscard]] AsyncGrant OfferFreeSlotLocked();
  AsyncGrant TakeAsyncWaiterLocked(Waiter* w);  // removes it from async_waiters_
  bool IdleSlotUsableLocked(const Slot& slot) const;
  void CountAcquireTimeoutLocked();
  void UpdateGaugesLocked();
  pg::Connection Connect();  // outside the lock
  void ObserveQuery(std::string_view name, double seconds);

  PoolOptions options_;
  std::string conninfo_;  // final, with the password: never logged

  mutable std::mutex mu_;
  std::deque<Waiter*> waiters_;    // oldest first
  std::list<Waiter> async_waiters_;  // storage of the queued AcquireAsync callers
  std::vector<std::unique_ptr<Slot>> slots_;
  std::vector<Slot*> idle_;        // open connections, LIFO so hot connections stay hot
  std::vector<Slot*> empty_;       // slots without a connection
  std::size_t in_use_ = 0;
  bool closed_ = false;
  unsigned connect_failures_in_row_ = 0;
  std::chrono::steady_clock::time_point next_connect_at_{};
  std::uint64_t acquire_timeouts_ = 0;
  std::uint64_t connect_failures_ = 0;
  std::uint64_t last_ticket_ = 0;

  metrics::Gauge* idle_gauge_ = nullptr;
  metrics::Gauge* in_use_gauge_ = nullptr;
  metrics::Gauge* max_gauge_ = nullptr;
  metrics::HistogramFamily* query_hist_ = nullptr;
  metrics::Histogram* wait_hist_ = nullptr;  // db_pool_wait_seconds
  metrics::CounterFamily* errors_ = nullptr;
};

}  // namespace tenant::api::db
