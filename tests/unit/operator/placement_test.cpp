// Placement: serverRef, selector, capacity, and never moving a placed tenant.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "operator/controller/placement.hpp"

using namespace tenant;
using controller::Place;
using controller::ServerCandidate;

namespace {
api::Tenant T(nlohmann::json spec) {
  spec["tenantId"] = "acme";
  return api::ParseTenant(nlohmann::json{{"metadata", {{"name", "acme"}, {"namespace", "erp"}}}, {"spec", spec}});
}
std::vector<ServerCandidate> Servers() {
  return {
      {"eu-1", {{"region", "eu"}}, true, 10, 5},
      {"eu-2", {{"region", "eu"}}, true, 10, 3},
      {"eu-3", {{"region", "eu"}}, false, std::nullopt, 0},  // not Ready
      {"us-1", {{"region", "us"}}, true, 2, 2},                // full
  };
}
}  // namespace

TEST_CASE("Selector placement picks the Ready server with the fewest tenants", "[placement]") {
  auto p = Place(T({{"database", {{"serverSelector", {{"matchLabels", {{"region", "eu"}}}}}}}}), Servers());
  CHECK(p.server == "eu-2");
  // No selector: every server matches.
  CHECK(Place(T({}), Servers()).server == "eu-2");
  // Ties broken by name.
  auto servers = Servers();
  servers[0].tenant_count = 3;
  CHECK(Place(T({}), servers).server == "eu-1");
}

TEST_CASE("Full or unready servers give NoDatabaseServer (not stalled)", "[placement]") {
  auto p = Place(T({{"database", {{"serverSelector", {{"matchLabels", {{"region", "us"}}}}}}}}), Servers());
  CHECK(p.server.empty());
  CHECK(p.reason == "NoDatabaseServer");
  CHECK_FALSE(p.stalled);
  CHECK_THAT(p.message, Catch::Contains("none is Ready with free capacity"));
  p = Place(T({{"database", {{"serverSelector", {{"matchLabels", {{"region", "ap"}}}}}}}}), Servers());
  CHECK(p.reason == "NoDatabaseServer");
  CHECK_THAT(p.message, Catch::Contains("no DatabaseServer matches"));
  auto expr = Place(T({{"database", {{"serverSelector", {{"matchExpressions",
      nlohmann::json::array({{{"key", "region"}, {"operator", "NotIn"}, {"values", {"eu"}}}})}}}}}}), Servers());
  CHECK(expr.reason == "NoDatabaseServer");  // only us-1 matches, and it is full
}

TEST_CASE("serverRef wins and may name a server that is not Ready yet", "[placement]") {
  CHECK(Place(T({{"database", {{"serverRef", "eu-3"}}}}), Servers()).server == "eu-3");
  auto p = Place(T({{"database", {{"serverRef", "gone"}}}}), Servers());
  CHECK(p.server.empty());
  CHECK(p.reason == "DatabaseServerNotFound");
}

TEST_CASE("A placed tenant never moves", "[placement]") {
  auto t = T({{"database", {{"serverSelector", {{"matchLabels", {{"region", "eu"}}}}}}}});
  t.status.database.server = "eu-1";  // even though eu-2 has fewer tenants now
  CHECK(Place(t, Servers()).server == "eu-1");
  t.status.database.server = "deleted-server";
  CHECK(Place(t, Servers()).server == "deleted-server");
  auto moved = T({{"database", {{"serverRef", "eu-2"}}}});
  moved.status.database.server = "eu-1";
  auto p = Place(moved, Servers());
  CHECK(p.server.empty());
  CHECK(p.stalled);
  CHECK(p.reason == "ServerChangeNotSupported");
}
