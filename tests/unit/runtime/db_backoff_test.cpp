#include <catch2/catch.hpp>

#include "runtime/db/backoff.hpp"
#include "runtime/db/pool.hpp"

using namespace tenant::api::db;
using std::chrono::milliseconds;

TEST_CASE("backoff: exponential ceiling with full jitter, capped", "[db]") {
  CHECK(BackoffDelay(0, milliseconds(50), milliseconds(5000), 0.999999).count() == 49);
  CHECK(BackoffDelay(3, milliseconds(50), milliseconds(5000), 0.5) == milliseconds(200));
  CHECK(BackoffDelay(10, milliseconds(50), milliseconds(5000), 1.0) == milliseconds(5000));
  CHECK(BackoffDelay(1000, milliseconds(50), milliseconds(5000), 1.0) == milliseconds(5000));
  CHECK(BackoffDelay(5, milliseconds(50), milliseconds(5000), 0.0) == milliseconds(0));
  for (unsigned attempt = 0; attempt < 30; ++attempt) {
    auto d = BackoffDelay(attempt, milliseconds(50), milliseconds(5000));
    CHECK(d >= milliseconds(0));
    CHECK(d <= milliseconds(5000));
  }
}

TEST_CASE("pool: rejects a zero size and never connects eagerly", "[db]") {
  PoolOptions o;
  o.conninfo = "host=127.0.0.1 port=1 dbname=x user=x";
  o.size = 0;
  CHECK_THROWS_AS(Pool(o), std::invalid_argument);
  o.size = 2;
  Pool pool(o);  // nothing listens on port 1: construction must still succeed
  auto stats = pool.GetStats();
  CHECK(stats.size == 2);
  CHECK(stats.open == 0);
  CHECK(pool.RedactedConnInfo().find("statement_timeout") != std::string::npos);
}
