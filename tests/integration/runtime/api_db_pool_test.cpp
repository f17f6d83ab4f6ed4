#include <catch2/catch.hpp>

#include <thread>

#include "common/metrics/metrics.hpp"
#include "common/pg/error.hpp"
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
