#include <catch2/catch.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include <condition_variable>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "common/metrics/metrics.hpp"
#include "common/pg/error.hpp"
#include "runtime/db/async_acquire.hpp"
#include "runtime/db/async_query.hpp"
#include "runtime/db/pool.hpp"
#include "tests/integration/runtime/api_fixture.hpp"
#include "tests/support/postgres_server.hpp"

using namespace tenant::test::api;
namespace db = tenant::api::db;
using std::chrono::milliseconds;

namespace {

constexpr db::Query kSleep{"test_sleep", "SELECT pg_sleep($1::double precision)"};
constexpr db::Query kSsl{"test_ssl", "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()"};
constexpr db::Query kOne{"test_one", "SELECT 1"};

db::PoolOptions Options(const TenantDatabase& tdb, tenant::metrics::Registry* registry) {
  db::PoolOptions o;
  o.conninfo = tdb.AppConnInfo();
  o.size = 2;
  o.acquire_timeout = milliseconds(300);
  o.statement_timeout = milliseconds(500);
  o.registry = registry;
  return o;
}

}  // namespace

TEST_CASE("pool: TLS, prepared statements, statement_timeout", "[integration][api][pool]") {
  TenantDatabase tdb;
  tenant::metrics::Registry registry;
  db::Pool pool(Options(tdb, &registry));
  {
    auto lease = pool.Acquire();
    CHECK(lease.Exec(kSsl).Bool(0, 0));  // the connection is encrypted
    CHECK(lease.Exec(kOne).Int64(0, 0) == 1);
    CHECK(lease.conn().IsPrepared("test_one"));
    CHECK_THROWS_AS(lease.Exec(kSleep, {"2"}), tenant::pg::QueryCanceled);
  }
  // the connection survives a statement timeout and is reused
  auto lease = pool.Acquire();
  CHECK(lease.Exec(kOne).Int64(0, 0) == 1);
  const std::string text = registry.Render();
  CHECK(text.find("db_query_duration_seconds_count{query=\"test_one\"} 2") != std::string::npos);
  CHECK(text.find("db_pool_connections{state=\"in_use\"} 1") != std::string::npos);
  CHECK(text.find("db_pool_connections{state=\"max\"} 2") != std::string::npos);
}

TEST_CASE("pool: a request never waits beyond the acquire timeout", "[integration][api][pool]") {
  TenantDatabase tdb;
  tenant::metrics::Registry registry;
  db::Pool pool(Options(tdb, &registry));
  auto a = pool.Acquire();
  auto b = pool.Acquire();
  const auto start = std::chrono::steady_clock::now();
  CHECK_THROWS_AS(pool.Acquire(), db::PoolExhausted);
  const auto waited = std::chrono::steady_clock::now() - start;
  CHECK(waited >= milliseconds(250));
  CHECK(waited < milliseconds(5000));
  CHECK(pool.GetStats().acquire_timeouts == 1);
  CHECK(registry.Render().find("db_pool_errors_total{kind=\"acquire_timeout\"} 1") != std::string::npos);
  // a connection returned by another thread is handed to a waiter
  std::thread releaser([lease = std::move(a)]() mutable {
    std::this_thread::sleep_for(milliseconds(50));
    auto gone = std::move(lease);
  });
  auto c = pool.Acquire(milliseconds(3000));
  releaser.join();
  CHECK(c.Exec(kOne).Int64(0, 0) == 1);
}

TEST_CASE("pool: broken connections are replaced after a database restart", "[integration][api][pool][outage]") {
  TenantDatabase tdb;
  db::Pool pool(Options(tdb, nullptr));
  { auto lease = pool.Acquire(); lease.Exec(kOne); }
  auto& pgs = tenant::test::PostgresServer::Shared();
  pgs.Stop();
  CHECK_THROWS_AS(pool.Acquire(), db::DatabaseUnavailable);
  CHECK(pool.GetStats().connect_failures >= 1);
  pgs.Start();
  // the backoff window is at most a few seconds; the first success needs no 503 on a stale socket
  bool ok = false;
  for (int i = 0; i < 100 && !ok; ++i) {
    try {
      auto lease = pool.Acquire();
      ok = lease.Exec(kOne).Int64(0, 0) == 1;
    } catch (const db::DatabaseUnavailable&) {
      std::this_thread::sleep_for(milliseconds(100));
    }
  }
  CHECK(ok);
}

TEST_CASE("pool: an idle connection killed by the server is replaced transparently", "[integration][api][pool]") {
  TenantDatabase tdb;
  db::Pool pool(Options(tdb, nullptr));
  int pid = 0;
  {
    auto lease = pool.Acquire();
    pid = static_cast<int>(lease.conn().Exec("SELECT pg_backend_pid()").Int64(0, 0));
  }
  auto admin = tdb.ConnectAsSuperuser();
  admin.Exec("SELECT pg_terminate_backend($1)", {pid});
  std::this_thread::sleep_for(milliseconds(200));
  auto lease = pool.Acquire();
  CHECK(lease.Exec(kOne).Int64(0, 0) == 1);
  CHECK(static_cast<int>(lease.conn().Exec("SELECT pg_backend_pid()").Int64(0, 0)) != pid);
}

TEST_CASE("pool: waiters get connections in arrival order", "[integration][api][pool]") {
  TenantDatabase tdb;
  tenant::metrics::Registry registry;
  auto options = Options(tdb, &registry);
  options.size = 1;
  options.acquire_timeout = milliseconds(10'000);
  db::Pool pool(options);
  auto held = std::make_optional(pool.Acquire());

  std::mutex mu;
  std::vector<int> order;
  auto waiter = [&](int id) {
    return std::thread([&, id] {
      auto lease = pool.Acquire();
      {
        std::lock_guard lk(mu);
        order.push_back(id);
      }
      // Hold it a moment, so a waiter that is not next in line would have the chance to
      // overtake if the pool let later arrivals take returned connections.
      std::this_thread::sleep_for(milliseconds(20));
    });
  };
  auto wait_for_queue = [&](std::size_t n) {
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (pool.GetStats().waiting < n && std::chrono::steady_clock::now() < until) {
      std::this_thread::sleep_for(milliseconds(1));
    }
    REQUIRE(pool.GetStats().waiting == n);
  };
  std::vector<std::thread> threads;
  for (int id = 1; id <= 4; ++id) {
    threads.push_back(waiter(id));
    wait_for_queue(static_cast<std::size_t>(id));
  }
  held.reset();  // back to the pool: straight to waiter 1, then 2, 3, 4
  // A thread arriving now must queue behind them instead of taking a returned connection.
  threads.push_back(waiter(5));
  for (auto& t : threads) t.join();
  CHECK(order == std::vector<int>{1, 2, 3, 4, 5});
  CHECK(pool.GetStats().waiting == 0);
  CHECK(pool.GetStats().in_use == 0);
  CHECK(registry.Render().find("db_pool_wait_seconds_count 6") != std::string::npos);
}

namespace {

// Runs `start` on a fresh io_context (as an I/O thread would) until its work is done.
template <typename Start>
void RunOnIo(Start start) {
  boost::asio::io_context io;
  start(io.get_executor());
  io.run_for(std::chrono::seconds(10));
}

}  // namespace

TEST_CASE("pool: AcquireAsync hands over idle connections, queues in line, and refuses when closed",
          "[integration][api][pool]") {
  TenantDatabase tdb;
  auto options = Options(tdb, nullptr);
  options.size = 1;
  db::Pool pool(options);

  // No open connection yet: the caller is sent to the blocking path (which connects).
  int calls = 0;
  pool.AcquireAsync([&](std::optional<db::Pool::Lease> lease) {
    ++calls;
    CHECK_FALSE(lease);
  });
  CHECK(calls == 1);
  { auto lease = pool.Acquire(); lease.Exec(kOne); }

  // An idle, recently used connection: granted at once, on this thread.
  std::optional<db::Pool::Lease> first;
  pool.AcquireAsync([&](std::optional<db::Pool::Lease> lease) { if (lease) first.emplace(std::move(*lease)); });
  REQUIRE(first);
  CHECK(pool.GetStats().in_use == 1);

  // Busy: a blocking waiter first, then an asynchronous one; served in that order.
  std::vector<std::string> order;
  std::mutex mu;
  std::thread blocking([&] {
    auto lease = pool.Acquire(milliseconds(5000));
    std::lock_guard lk(mu);
    order.push_back("blocking");
  });
  while (pool.GetStats().waiting < 1) std::this_thread::sleep_for(milliseconds(1));
  std::optional<db::Pool::Lease> second;
  pool.AcquireAsync([&](std::optional<db::Pool::Lease> lease) {
    std::lock_guard lk(mu);
    order.push_back(lease ? "async" : "async-without-lease");
    if (lease) second.emplace(std::move(*lease));
  });
  CHECK(pool.GetStats().waiting == 2);
  first.reset();  // to the blocking waiter, which returns it: then to the async waiter
  blocking.join();
  while (pool.GetStats().waiting > 0) std::this_thread::sleep_for(milliseconds(1));
  {
    std::lock_guard lk(mu);
    CHECK(order == std::vector<std::string>{"blocking", "async"});
  }
  REQUIRE(second);
  CHECK(second->Exec(kOne).Int64(0, 0) == 1);

  // Queued while the pool closes: sent to the blocking path, which refuses.
  bool told = false;
  pool.AcquireAsync([&](std::optional<db::Pool::Lease> lease) { told = !lease; });
  pool.Close();
  CHECK(told);
  second.reset();
  CHECK_THROWS_AS(pool.Acquire(), db::DatabaseUnavailable);
}

TEST_CASE("AsyncExec: results, SQL errors and statement timeouts without blocking", "[integration][api][pool]") {
  TenantDatabase tdb;
  tenant::metrics::Registry registry;
  db::Pool pool(Options(tdb, &registry));
  {
    auto lease = pool.Acquire();
    lease.Exec(kOne);
    lease.Exec(kSleep, {"0"});
  }

  // A result, completed on the executor; the lease is back in the pool before `done` runs.
  std::optional<std::int64_t> value;
  std::size_t in_use_in_done = 99;
  RunOnIo([&](boost::asio::any_io_executor ex) {
    db::AsyncExec(pool.Acquire(), ex, kOne, {}, [&](std::exception_ptr error, tenant::pg::Result r) {
      CHECK_FALSE(error);
      value = r.Int64(0, 0);
      in_use_in_done = pool.GetStats().in_use;
    });
  });
  CHECK(value == 1);
  CHECK(in_use_in_done == 0);

  // statement_timeout (500 ms) cancels the statement: QueryCanceled; the connection stays usable.
  std::exception_ptr failure;
  RunOnIo([&](boost::asio::any_io_executor ex) {
    db::AsyncExec(pool.Acquire(), ex, kSleep, {"2"}, [&](std::exception_ptr error, tenant::pg::Result) {
      failure = error;
    });
  });
  REQUIRE(failure);
  CHECK_THROWS_AS(std::rethrow_exception(failure), tenant::pg::QueryCanceled);
  auto lease = pool.Acquire();
  CHECK(lease.Exec(kOne).Int64(0, 0) == 1);
  CHECK(registry.Render().find("db_query_duration_seconds_count{query=\"test_one\"} 3") != std::string::npos);
}

TEST_CASE("AsyncExec: a connection lost mid-statement fails as ConnectionError and is dropped",
          "[integration][api][pool][outage]") {
  TenantDatabase tdb;
  auto options = Options(tdb, nullptr);
  options.statement_timeout = milliseconds(0);  // only the kill ends the statement
  db::Pool pool(options);
  int pid = 0;
  {
    auto lease = pool.Acquire();
    lease.Exec(kSleep, {"0"});
    pid = static_cast<int>(lease.conn().Exec("SELECT pg_backend_pid()").Int64(0, 0));
  }

  std::exception_ptr failure;
  bool done = false;
  std::thread killer([&] {
    // Terminates the backend once it is inside pg_sleep, i.e. while AsyncExec waits for it.
    auto admin = tdb.ConnectAsSuperuser();
    for (int i = 0; i < 1000; ++i) {
      auto r = admin.Exec("SELECT 1 FROM pg_stat_activity WHERE pid = $1 AND state = 'active' AND query LIKE '%pg_sleep%'",
                          {pid});
      if (!r.empty()) {
        admin.Exec("SELECT pg_terminate_backend($1)", {pid});
        return;
      }
      std::this_thread::sleep_for(milliseconds(10));
    }
  });
  RunOnIo([&](boost::asio::any_io_executor ex) {
    db::AsyncExec(pool.Acquire(), ex, kSleep, {"30"}, [&](std::exception_ptr error, tenant::pg::Result) {
      failure = error;
      done = true;
    });
  });
  killer.join();
  REQUIRE(done);
  REQUIRE(failure);
  CHECK_THROWS_AS(std::rethrow_exception(failure), tenant::pg::ConnectionError);
  CHECK(pool.GetStats().open == 0);  // the broken connection was not put back
  auto lease = pool.Acquire();
  CHECK(static_cast<int>(lease.conn().Exec("SELECT pg_backend_pid()").Int64(0, 0)) != pid);
}

TEST_CASE("AsyncExec: the socket watcher of a connection is reused, and replaced after a reconnect",
          "[integration][api][pool][outage]") {
  // One io_context for every step, as an I/O thread keeps it: the watcher registered for
  // the first statement serves the second; after the backend is killed the pool opens a
  // new connection (usually on the same descriptor number), whose statement must complete
  // too (a stale watcher would never see its reply: run_for would end with done == false).
  TenantDatabase tdb;
  auto options = Options(tdb, nullptr);
  options.size = 1;
  db::Pool pool(options);
  boost::asio::io_context io;
  auto run_one = [&](db::Pool::Lease lease) {
    bool done = false;
    std::exception_ptr failure;
    std::int64_t value = 0;
    db::AsyncExec(std::move(lease), io.get_executor(), kOne, {}, [&](std::exception_ptr error, tenant::pg::Result r) {
      failure = error;
      if (!error) value = r.Int64(0, 0);
      done = true;
    });
    io.restart();
    io.run_for(std::chrono::seconds(10));
    REQUIRE(done);
    REQUIRE_FALSE(failure);
    CHECK(value == 1);
  };
  int pid = 0;
  std::uint64_t serial = 0;
  {
    auto lease = pool.Acquire();
    lease.Exec(kOne);  // prepared on this connection
    pid = static_cast<int>(lease.conn().Exec("SELECT pg_backend_pid()").Int64(0, 0));
    serial = lease.connection_serial();
  }
  run_one(pool.Acquire());
  run_one(pool.Acquire());

  tdb.ConnectAsSuperuser().Exec("SELECT pg_terminate_backend($1)", {pid});
  std::uint64_t new_serial = 0;
  for (int i = 0; i < 100 && new_serial == 0; ++i) {
    try {
      auto lease = pool.Acquire();
      lease.Exec(kOne);  // fails once on the dead connection, then runs on a new one
      new_serial = lease.connection_serial();
    } catch (const std::exception&) {
      std::this_thread::sleep_for(milliseconds(20));
    }
  }
  REQUIRE(new_serial != 0);
  CHECK(new_serial != serial);
  run_one(pool.Acquire());
  run_one(pool.Acquire());
}

TEST_CASE("AcquireAsyncUntil: a queued caller is served in line or gives up with PoolExhausted",
          "[integration][api][pool]") {
  TenantDatabase tdb;
  tenant::metrics::Registry registry;
  auto options = Options(tdb, &registry);
  options.size = 1;
  db::Pool pool(options);
  auto held = std::make_optional(pool.Acquire());
  held->Exec(kOne);

  // Nothing is returned before the deadline: PoolExhausted, and the caller left the queue.
  std::exception_ptr failure;
  bool got_lease = false;
  RunOnIo([&](boost::asio::any_io_executor ex) {
    db::AcquireAsyncUntil(pool, ex, std::chrono::steady_clock::now() + milliseconds(100),
                          [&](std::exception_ptr error, std::optional<db::Pool::Lease> lease) {
                            failure = error;
                            got_lease = lease.has_value();
                          });
    CHECK(pool.GetStats().waiting == 1);
  });
  REQUIRE(failure);
  CHECK_THROWS_AS(std::rethrow_exception(failure), db::PoolExhausted);
  CHECK_FALSE(got_lease);
  CHECK(pool.GetStats().waiting == 0);
  CHECK(pool.GetStats().acquire_timeouts == 1);
  CHECK(registry.Render().find("db_pool_errors_total{kind=\"acquire_timeout\"} 1") != std::string::npos);

  // The connection comes back while the caller waits: it gets it, and no timeout is counted.
  std::optional<db::Pool::Lease> second;
  std::exception_ptr second_error;
  RunOnIo([&](boost::asio::any_io_executor ex) {
    db::AcquireAsyncUntil(pool, ex, std::chrono::steady_clock::now() + std::chrono::seconds(30),
                          [&](std::exception_ptr error, std::optional<db::Pool::Lease> lease) {
                            second_error = error;
                            if (lease) second.emplace(std::move(*lease));
                          });
    boost::asio::post(ex, [&] { held.reset(); });
  });
  CHECK_FALSE(second_error);
  REQUIRE(second);
  CHECK(second->Exec(kOne).Int64(0, 0) == 1);
  CHECK(pool.GetStats().acquire_timeouts == 1);
  CHECK(pool.GetStats().waiting == 0);
}

TEST_CASE("pool: a queued AcquireAsync caller is sent on when the reconnect ahead of it fails",
          "[integration][api][pool][outage]") {
  // Size 1 with its connection in use, a blocking caller queued, an asynchronous one behind
  // it. The database goes away and the lease comes back broken: the blocking caller tries
  // to reconnect and fails into the backoff. The asynchronous caller must be sent on at once
  // (down the blocking path, which reports the outage) instead of staying queued untold:
  // AcquireAsync has no timeout of its own, so it would wait until the next Release or Close.
  TenantDatabase tdb;
  auto options = Options(tdb, nullptr);
  options.size = 1;
  options.acquire_timeout = milliseconds(5000);
  db::Pool pool(options);
  auto& pgs = tenant::test::PostgresServer::Shared();
  std::optional<db::Pool::Lease> held(pool.Acquire());
  held->Exec(kOne);
  auto waiting_is = [&pool](std::size_t n) {
    for (int i = 0; i < 1000 && pool.GetStats().waiting != n; ++i) std::this_thread::sleep_for(milliseconds(10));
    return pool.GetStats().waiting == n;
  };

  std::thread blocking([&pool] {
    try {
      auto lease = pool.Acquire();
    } catch (const std::exception&) {
      // DatabaseUnavailable: the reconnect failed
    }
  });
  REQUIRE(waiting_is(1));
  std::mutex mu;
  std::condition_variable cv;
  bool told = false;
  bool got_lease = false;
  pool.AcquireAsync([&](std::optional<db::Pool::Lease> lease) {
    std::lock_guard lk(mu);
    told = true;
    got_lease = lease.has_value();
    cv.notify_all();
  });
  REQUIRE(waiting_is(2));

  pgs.Stop();
  held->MarkBroken();
  held.reset();
  {
    std::unique_lock lk(mu);
    cv.wait_for(lk, std::chrono::seconds(20), [&] { return told; });
    CHECK(told);
    CHECK_FALSE(got_lease);  // the blocking path, which reports the outage
  }
  blocking.join();
  CHECK(pool.GetStats().waiting == 0);
  pgs.Start();
}
