#include "runtime/db/pool.hpp"

#include <poll.h>

#include <atomic>

#include "common/log/log.hpp"
#include "common/pg/conninfo.hpp"
#include "common/pg/error.hpp"
#include "runtime/db/backoff.hpp"
#include "runtime/db/pg_failure.hpp"
#include "runtime/server/request_log.hpp"

namespace tenant::api::db {
namespace {

// Identity of an opened connection (never reused, unlike addresses and descriptors).
std::uint64_t NextConnectionSerial() {
  static std::atomic<std::uint64_t> next{0};
  return ++next;
}

using Clock = std::chrono::steady_clock;

// An idle connection has nothing to read: we never LISTEN and every result was consumed.
// If its socket is readable, the server closed it (restart, admin shutdown, idle timeout)
// or sent a FATAL notice. One poll() with zero timeout finds that without a round trip,
// so the first request after a database restart gets a fresh connection instead of a 503.
bool IdleConnectionLooksAlive(PGconn* conn) {
  if (conn == nullptr || PQstatus(conn) != CONNECTION_OK) return false;
  const int fd = PQsocket(conn);
  if (fd < 0) return false;
  pollfd p{fd, POLLIN, 0};
  const int ready = ::poll(&p, 1, 0);
  return ready == 0;
}

std::string BuildConnInfo(const PoolOptions& o) {
  auto b = pg::ConnInfoBuilder::From(o.conninfo);
  if (!o.ssl_mode.empty()) b.SslMode(o.ssl_mode);
  if (!o.application_name.empty()) b.ApplicationName(o.application_name);
  if (o.statement_timeout.count() > 0) {
    // Sent at connection start-up, so it holds for every statement without a round trip.
    b.Options("-c statement_timeout=" + std::to_string(o.statement_timeout.count()));
  }
  return b.Build();
}

}  // namespace

Pool::Pool(PoolOptions options) : options_(std::move(options)), conninfo_(BuildConnInfo(options_)) {
  if (options_.size == 0) throw std::invalid_argument("DB pool size must be at least 1");
  slots_.reserve(options_.size);
  for (std::size_t i = 0; i < options_.size; ++i) {
    slots_.push_back(std::make_unique<Slot>());
    empty_.push_back(slots_.back().get());
  }
  if (options_.registry != nullptr) {
    auto& conns = options_.registry->Gauge("db_pool_connections",
                                           "Database pool connections by state.", {"state"});
    idle_gauge_ = &conns.WithLabelValues({"idle"});
    in_use_gauge_ = &conns.WithLabelValues({"in_use"});
    max_gauge_ = &conns.WithLabelValues({"max"});
    query_hist_ = &options_.registry->Histogram(
        "db_query_duration_seconds", "Duration of database queries by named query.", {"query"},
        metrics::ExponentialBuckets(0.00025, 2, 15));
    wait_hist_ = &options_.registry
                      ->Histogram("db_pool_wait_seconds", "Time requests waited for a pooled connection.", {},
                                  metrics::ExponentialBuckets(0.0000625, 2, 16))
                      .Get();
    errors_ = &options_.registry->Counter("db_pool_errors_total",
                                          "Pool failures: acquire timeouts and failed connects.",
                                          {"kind"});
    max_gauge_->Set(static_cast<double>(options_.size));
    UpdateGaugesLocked();
  }
}

Pool::~Pool() { Close(); }

std::string Pool::RedactedConnInfo() const { return pg::RedactConnInfo(conninfo_); }

pg::Connection Pool::Connect() { return pg::Connection::Connect(conninfo_, options_.connect_timeout); }

namespace {

// Serves an asynchronous waiter, outside the pool lock: with a connection, or with
// std::nullopt (the blocking path).
void HandOver(const Pool::AsyncGrant& grant, std::optional<Pool::Lease> lease) noexcept {
  try {
    grant(std::move(lease));
  } catch (const std::exception& e) {  // a grant only posts work; never let it escape a destructor
    server::request_log::Error("Connection hand-over failed", {{"error", e.what()}});
  }
}

// Sends an asynchronous waiter down the blocking path when it goes out of scope: declared
// before the lock, so after the lock is released, on every exit path.
struct GrantAfterUnlock {
  Pool::AsyncGrant grant;
  GrantAfterUnlock() = default;
  GrantAfterUnlock(const GrantAfterUnlock&) = delete;
  GrantAfterUnlock& operator=(const GrantAfterUnlock&) = delete;
  ~GrantAfterUnlock() {
    if (grant) HandOver(grant, std::nullopt);
  }
};

}  // namespace

Pool::Lease Pool::Acquire() { return Acquire(options_.acquire_timeout); }

Pool::Lease Pool::Acquire(std::chrono::milliseconds timeout) {
  const auto started = Clock::now();
  const auto deadline = started + timeout;
  Slot* slot = nullptr;
  bool must_connect = false;
  {
    GrantAfterUnlock promoted;
    std::unique_lock lk(mu_);
    if (closed_) throw DatabaseUnavailable("database pool is closed");
    if (waiters_.empty() && !idle_.empty()) {
      slot = idle_.back();
      idle_.pop_back();
      ++in_use_;
    } else {
      // Queue behind earlier waiters; Release hands connections over in arrival order.
      Waiter self;
      waiters_.push_back(&self);
      for (;;) {
        if (self.granted != nullptr) {  // removed from the queue and counted by Release
          slot = self.granted;
          break;
        }
        if (closed_) {
          promoted.grant = RemoveWaiterLocked(&self);
          throw DatabaseUnavailable("database pool is closed");
        }
        if (!idle_.empty() && waiters_.front() == &self) {  // left idle while we queued
          promoted.grant = RemoveWaiterLocked(&self);
          slot = idle_.back();
          idle_.pop_back();
          ++in_use_;
          break;
        }
        auto wake_at = deadline;
        if (!empty_.empty()) {
          const auto now = Clock::now();
          if (now >= next_connect_at_) {
            slot = empty_.back();  // taken first: not offered to the next waiter
            empty_.pop_back();
            promoted.grant = RemoveWaiterLocked(&self);
            must_connect = true;
            ++in_use_;
            break;
          }
          // Inside the backoff window after failed connects: wait for it only if it ends
          // before our deadline (another thread may also free a connection meanwhile).
          if (next_connect_at_ > deadline) {
            promoted.grant = RemoveWaiterLocked(&self);
            throw DatabaseUnavailable("database unavailable (reconnecting with backoff)");
          }
          wake_at = next_connect_at_;
        }
        if (self.cv.wait_until(lk, wake_at) == std::cv_status::timeout && self.granted == nullptr &&
            Clock::now() >= deadline && (empty_.empty() || Clock::now() < next_connect_at_)) {
          promoted.grant = RemoveWaiterLocked(&self);
          CountAcquireTimeoutLocked();
          throw PoolExhausted("no database connection available within " +
                              std::to_string(timeout.count()) + " ms");
        }
      }
    }
    UpdateGaugesLocked();
  }
  if (wait_hist_ != nullptr) wait_hist_->Observe(std::chrono::duration<double>(Clock::now() - started).count());

  // Health check of a connection that sat idle long enough for a server restart, a
  // firewall or an idle timeout to have killed it: one empty query, then reconnect.
  if (!must_connect && (!slot->conn->IsOpen() || !IdleConnectionLooksAlive(slot->conn->native()) ||
                        (Clock::now() - slot->last_used > options_.idle_check_after &&
                         !slot->conn->Ping()))) {
    slot->conn.reset();
    must_connect = true;
  }
  if (must_connect) {
    try {
      slot->conn.emplace(Connect());
      slot->serial = NextConnectionSerial();
      std::lock_guard lk(mu_);
      connect_failures_in_row_ = 0;
      next_connect_at_ = {};
    } catch (const pg::Error& e) {
      slot->conn.reset();
      GrantAfterUnlock promoted;
      std::lock_guard lk(mu_);
      ++connect_failures_;
      const auto delay = BackoffDelay(connect_failures_in_row_++, options_.backoff_initial,
                                      options_.backoff_max);
      next_connect_at_ = Clock::now() + delay;
      if (errors_ != nullptr) errors_->WithLabelValues({"connect"}).Inc();
      server::request_log::Warn("Database connect failed",
                {{"error", e.what()}, {"sqlstate", e.sqlstate()}, {"retry_in_ms", delay.count()}});
      --in_use_;
      empty_.push_back(slot);
      UpdateGaugesLocked();
      promoted.grant = OfferFreeSlotLocked();  // the next waiter may retry after the backoff
      throw DatabaseUnavailable(std::string("database unavailable: ") + e.what());
    }
  }
  return Lease(this, slot);
}

void Pool::Release(Slot* slot, bool broken) {
  slot->last_used = Clock::now();
  if (!broken && slot->conn && slot->conn->IsOpen() &&
      slot->conn->TransactionStatus() != PQTRANS_IDLE) {
    // A handler left a transaction open (exception between BEGIN and COMMIT and the
    // rollback failed): clean it here or drop the connection.
    try {
      slot->conn->Exec("ROLLBACK");
    } catch (const std::exception&) {
      broken = true;
    }
  }
  AsyncGrant async;        // an AcquireAsync caller served below, outside the lock
  Slot* handed = nullptr;  // ... with this connection (nullptr: take the blocking path)
  {
    std::lock_guard lk(mu_);
    if (broken || closed_ || !slot->conn || !slot->conn->IsOpen()) {
      --in_use_;
      slot->conn.reset();
      empty_.push_back(slot);
      async = OfferFreeSlotLocked();
    } else if (!waiters_.empty()) {
      // Straight to the oldest waiter: the connection stays in use (in_use_ unchanged).
      Waiter* w = waiters_.front();
      waiters_.pop_front();
      if (w->async) {
        if (wait_hist_ != nullptr) wait_hist_->Observe(std::chrono::duration<double>(Clock::now() - w->since).count());
        async = TakeAsyncWaiterLocked(w);
        handed = slot;
      } else {
        w->granted = slot;
        w->cv.notify_one();
      }
    } else {
      --in_use_;
      idle_.push_back(slot);
    }
    UpdateGaugesLocked();
  }
  if (async) HandOver(async, handed != nullptr ? std::optional<Lease>(Lease(this, handed)) : std::nullopt);
}

Pool::AsyncGrant Pool::TakeAsyncWaiterLocked(Waiter* w) {
  AsyncGrant g = std::move(w->async);
  for (auto it = async_waiters_.begin(); it != async_waiters_.end(); ++it) {
    if (&*it == w) {
      async_waiters_.erase(it);
      break;
    }
  }
  return g;
}

bool Pool::IdleSlotUsableLocked(const Slot& slot) const {
  // What the blocking Acquire would check, minus the ping (a round trip): without a live,
  // recently used connection the caller takes the blocking path, which pings or reconnects.
  return slot.conn && slot.conn->IsOpen() && IdleConnectionLooksAlive(slot.conn->native()) &&
         Clock::now() - slot.last_used <= options_.idle_check_after;
}

std::uint64_t Pool::AcquireAsync(AsyncGrant granted) {
  Slot* slot = nullptr;
  {
    std::lock_guard lk(mu_);
    if (!closed_) {
      if (waiters_.empty() && !idle_.empty()) {
        if (IdleSlotUsableLocked(*idle_.back())) {
          slot = idle_.back();
          idle_.pop_back();
          ++in_use_;
          UpdateGaugesLocked();
        }
      } else if (empty_.empty()) {
        // Every connection is open and in use: queue like a blocking caller would.
        Waiter& w = async_waiters_.emplace_back();
        w.async = std::move(granted);
        w.ticket = ++last_ticket_;
        w.since = Clock::now();
        waiters_.push_back(&w);
        return w.ticket;
      }
    }
  }
  if (slot == nullptr) {
    granted(std::nullopt);
    return 0;
  }
  if (wait_hist_ != nullptr) wait_hist_->Observe(0.0);
  granted(Lease(this, slot));
  return 0;
}

bool Pool::CancelAsync(std::uint64_t ticket) {
  AsyncGrant dropped;  // destroyed outside the lock: its captures may own request state
  GrantAfterUnlock promoted;
  std::lock_guard lk(mu_);
  for (auto it = async_waiters_.begin(); it != async_waiters_.end(); ++it) {
    if (it->ticket != ticket) continue;
    dropped = std::move(it->async);
    promoted.grant = RemoveWaiterLocked(&*it);  // std::list: `it` stays valid
    async_waiters_.erase(it);
    CountAcquireTimeoutLocked();
    return true;
  }
  return false;
}

void Pool::CountAcquireTimeoutLocked() {
  ++acquire_timeouts_;
  if (errors_ != nullptr) errors_->WithLabelValues({"acquire_timeout"}).Inc();
}

Pool::AsyncGrant Pool::RemoveWaiterLocked(Waiter* w) {
  for (auto it = waiters_.begin(); it != waiters_.end(); ++it) {
    if (*it == w) {
      waiters_.erase(it);
      break;
    }
  }
  // A connect slot or backoff change this waiter was woken for but did not use is offered
  // on: a blocking waiter re-checks; an asynchronous one is only sent on for a free slot.
  if (!waiters_.empty() && (!waiters_.front()->async || !empty_.empty())) return OfferFreeSlotLocked();
  return {};
}

Pool::AsyncGrant Pool::OfferFreeSlotLocked() {
  if (waiters_.empty()) return {};
  Waiter* w = waiters_.front();
  if (!w->async) {
    w->cv.notify_one();
    return {};
  }
  waiters_.pop_front();
  return TakeAsyncWaiterLocked(w);
}

void Pool::Close() {
  std::vector<AsyncGrant> async;
  {
    std::lock_guard lk(mu_);
    closed_ = true;
    for (Slot* s : idle_) {
      s->conn.reset();
      empty_.push_back(s);
    }
    idle_.clear();
    UpdateGaugesLocked();
    // Blocking waiters wake up and throw DatabaseUnavailable; queued asynchronous callers
    // are sent down the blocking path, which does the same.
    std::deque<Waiter*> blocking;
    for (Waiter* w : waiters_) {
      if (w->async) {
        async.push_back(std::move(w->async));
      } else {
        w->cv.notify_one();
        blocking.push_back(w);
      }
    }
    waiters_.swap(blocking);
    async_waiters_.clear();
  }
  for (auto& g : async) g(std::nullopt);
}

Pool::Stats Pool::GetStats() const {
  std::lock_guard lk(mu_);
  Stats s;
  s.size = options_.size;
  s.idle = idle_.size();
  s.in_use = in_use_;
  s.open = idle_.size() + in_use_;
  s.waiting = waiters_.size();
  s.acquire_timeouts = acquire_timeouts_;
  s.connect_failures = connect_failures_;
  return s;
}

void Pool::UpdateGaugesLocked() {
  if (idle_gauge_ == nullptr) return;
  idle_gauge_->Set(static_cast<double>(idle_.size()));
  in_use_gauge_->Set(static_cast<double>(in_use_));
}

void Pool::ObserveQuery(std::string_view name, double seconds) {
  if (query_hist_ != nullptr) query_hist_->WithLabelValues({name}).Observe(seconds);
}

void Pool::Lease::RecordQuery(std::string_view name, double seconds) { pool_->ObserveQuery(name, seconds); }

Pool::Lease::Lease(Lease&& other) noexcept
    : pool_(other.pool_), slot_(other.slot_), broken_(other.broken_) {
  other.pool_ = nullptr;
  other.slot_ = nullptr;
}

Pool::Lease::~Lease() {
  if (pool_ != nullptr) pool_->Release(slot_, broken_);
}

pg::Result Pool::Lease::Exec(const Query& query, const pg::Params& params) {
  const auto start = Clock::now();
  try {
    auto& c = conn();
    const std::string name(query.name);
    if (!c.IsPrepared(name)) c.Prepare(name, query.sql);
    pg::Result r = c.ExecPrepared(name, params);
    pool_->ObserveQuery(query.name, std::chrono::duration<double>(Clock::now() - start).count());
    return r;
  } catch (const pg::ConnectionError&) {
    broken_ = true;
    throw;
  } catch (const pg::Error&) {
    pool_->ObserveQuery(query.name, std::chrono::duration<double>(Clock::now() - start).count());
    if (!conn().IsOpen()) broken_ = true;
    throw;
  }
}

std::vector<pg::Result> Pool::Lease::ExecPipeline(const std::vector<PipelineStep>& steps) {
  const auto start = Clock::now();
  auto& conn = this->conn();
  try {
    for (const auto& s : steps) {
      if (s.query != nullptr && !conn.IsPrepared(std::string(s.query->name))) {
        conn.Prepare(std::string(s.query->name), s.query->sql);
      }
    }
  } catch (const pg::ConnectionError&) {
    broken_ = true;
    throw;
  }
  PGconn* c = conn.native();
  if (PQenterPipelineMode(c) != 1) {
    broken_ = true;
    ThrowConnectionLost(c, "entering pipeline mode failed");
  }
  for (const auto& s : steps) {
    int sent;
    if (s.query != nullptr) {
      std::vector<const char*> values;
      values.reserve(s.params.size());
      for (const auto& p : s.params) values.push_back(p.is_null() ? nullptr : p.value().c_str());
      const std::string name(s.query->name);
      sent = PQsendQueryPrepared(c, name.c_str(), static_cast<int>(values.size()), values.data(), nullptr, nullptr, 0);
    } else {
      const std::string command(s.command);
      sent = PQsendQueryParams(c, command.c_str(), 0, nullptr, nullptr, nullptr, nullptr, 0);
    }
    if (sent != 1) {
      broken_ = true;  // the pipeline state is unknown: drop the connection
      ThrowConnectionLost(c, "sending a pipelined statement failed");
    }
  }
  if (PQpipelineSync(c) != 1) {
    broken_ = true;
    ThrowConnectionLost(c, "sending the pipeline failed");
  }
  std::vector<pg::Result> results;
  results.reserve(steps.size());
  std::exception_ptr failure;
  for (std::size_t i = 0; i < steps.size(); ++i) {
    pg::Result r(PQgetResult(c));
    if (r.native() == nullptr) {
      broken_ = true;
      ThrowConnectionLost(c, "connection lost in a pipeline");
    }
    const auto status = PQresultStatus(r.native());
    if (status == PGRES_FATAL_ERROR && !failure) failure = StatementError(c, r.native());
    if (status != PGRES_FATAL_ERROR && status != PGRES_PIPELINE_ABORTED &&
        status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
      broken_ = true;
      ThrowConnectionLost(c, "unexpected result in a pipeline");
    }
    results.push_back(std::move(r));
    pg::Result end(PQgetResult(c));  // NULL ends each statement's results
    if (end.native() != nullptr) {
      broken_ = true;
      ThrowConnectionLost(c, "unexpected extra result in a pipeline");
    }
  }
  pg::Result sync(PQgetResult(c));
  if (sync.native() == nullptr || PQresultStatus(sync.native()) != PGRES_PIPELINE_SYNC || PQexitPipelineMode(c) != 1) {
    broken_ = true;
    ThrowConnectionLost(c, "pipeline did not end cleanly");
  }
  for (const auto& s : steps) {
    if (s.query != nullptr) {
      pool_->ObserveQuery(s.query->name, std::chrono::duration<double>(Clock::now() - start).count());
    }
  }
  if (failure) {
    if (PQstatus(c) == CONNECTION_BAD) broken_ = true;
    std::rethrow_exception(failure);
  }
  return results;
}

pg::Result Pool::Lease::ExecRaw(std::string_view sql) {
  try {
    return conn().Exec(sql);
  } catch (const pg::ConnectionError&) {
    broken_ = true;
    throw;
  } catch (const pg::Error&) {
    if (!conn().IsOpen()) broken_ = true;
    throw;
  }
}

}  // namespace tenant::api::db
