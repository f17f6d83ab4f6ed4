// GET by id runs on the I/O threads (RouteOptions::async_handler, libpq non-blocking): a
// request of that kind still waiting inside PostgreSQL must not break graceful shutdown,
// neither when it finishes within the grace period nor when the grace period runs out.
#include <catch2/catch.hpp>

#include <future>
#include <optional>
#include <string>

#include "tests/integration/runtime/api_fixture.hpp"
#include "tests/integration/runtime/server_test_client.hpp"

using namespace tenant::test::api;
namespace th = tenant::test::http;

namespace {

// Makes the next GET of a product wait inside PostgreSQL: ACCESS EXCLUSIVE on products is
// held by this connection's open transaction until Release (or until the connection ends).
class ProductsLock {
 public:
  explicit ProductsLock(TenantDatabase& db) : conn_(db.ConnectAsSuperuser()) {
    conn_.Exec("BEGIN");
    conn_.Exec("LOCK TABLE products IN ACCESS EXCLUSIVE MODE");
  }
  // True once a statement of another session is queued behind the lock.
  bool SomeoneWaits() {
    return conn_.Exec("SELECT count(*) FROM pg_locks WHERE NOT granted AND relation = 'products'::regclass")
               .Int64(0, 0) > 0;
  }
  void Release() { conn_.Exec("COMMIT"); }

 private:
  tenant::pg::Connection conn_;
};

// A product, read a few times so the pooled connection that serves the next GET has the
// statement prepared: that GET then takes the non-blocking path.
std::string WarmProduct(ApiHarness& h, const std::string& token) {
  const auto id = h.CreateProduct("ASYNC-" + UniqueSuffix(), 100, 5);
  const std::string target = "/api/v1/products/" + std::to_string(id);
  for (int i = 0; i < 3; ++i) REQUIRE(h.Call("GET", target, token).status == 200);
  return target;
}

bool Accepts(int port) {
  try {
    th::Client probe(port);
    return true;
  } catch (const std::exception&) {
    return false;
  }
}

}  // namespace

TEST_CASE("async GET waiting on the database completes during graceful shutdown", "[integration][api][shutdown]") {
  // Declared before the app and the lock: if a check fails, the lock is released and the
  // app destroyed (closing the client's connection) before these wait for their threads.
  std::future<HttpResult> in_flight;
  std::future<bool> shutdown;
  ApiHarness h;
  const std::string token = h.Token("clerk");
  const std::string target = WarmProduct(h, token);
  ProductsLock lock(h.db());
  in_flight = std::async(std::launch::async, [&] { return h.Call("GET", target, token); });
  REQUIRE(th::Eventually([&] { return lock.SomeoneWaits(); }, std::chrono::seconds(20), std::chrono::milliseconds(10)));

  shutdown = std::async(std::launch::async, [&h] { return h.app().Shutdown(); });
  // Draining has begun once new connections are refused.
  REQUIRE(th::Eventually([&] { return !Accepts(h.port()); }, std::chrono::seconds(10), std::chrono::milliseconds(10)));
  lock.Release();  // the waiting statement completes now, inside the grace period

  auto res = in_flight.get();
  CHECK(res.status == 200);
  CHECK(res.Json().at("stock_quantity") == 5);
  CHECK(shutdown.get());  // drained: nothing left in flight
}

TEST_CASE("async GET still waiting on the database when the grace period ends: teardown is safe",
          "[integration][api][shutdown]") {
  std::future<int> in_flight;  // declared first: waits only after the app and the lock are gone
  std::optional<ApiHarness> h(std::in_place);
  const std::string token = h->Token("clerk");
  const std::string target = WarmProduct(*h, token);
  ProductsLock lock(h->db());
  in_flight = std::async(std::launch::async, [&] {
    try {
      return h->Call("GET", target, token).status;
    } catch (const std::exception&) {
      return 0;  // the server closed the connection without an answer
    }
  });
  REQUIRE(th::Eventually([&] { return lock.SomeoneWaits(); }, std::chrono::seconds(20), std::chrono::milliseconds(10)));
  // The statement waits for the lock; the grace period (2 s in the harness) runs out first.
  CHECK_FALSE(h->app().Shutdown());
  // Destroying the app tears the I/O context down with the query still pending: the query's
  // connection goes back to the closed pool and is dropped (AddressSanitizer watches this).
  h.reset();
  const int status = in_flight.get();
  CHECK((status == 0 || status == 503));
}
