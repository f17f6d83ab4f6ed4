// Informer options that shape the cache: the transform runs on every object before it is
// stored and handed to handlers; a compact informer keeps a packed store. Against the
// in-memory fake API server of the Tenant controller's tests (LIST only; its WATCH ends at once).
#include <catch2/catch.hpp>

#include <mutex>

#include "operator/kube/informer.hpp"
#include "tenant_fakes.hpp"

using namespace tenant;
using nlohmann::json;

TEST_CASE("informer: transform before caching and handlers; compact store", "[kube][informer]") {
  const bool compact = GENERATE(false, true);
  CAPTURE(compact);
  auto client = std::make_shared<test::FakeClient>();
  const auto& r = kube::resources::kConfigMaps;
  for (const char* name : {"a", "b"}) {
    client->StoreFor(r)->Upsert(json{{"metadata",
                                      {{"name", name},
                                       {"namespace", "ns"},
                                       {"resourceVersion", "5"},
                                       {"managedFields", json::array({{{"manager", "kubectl"}}})},
                                       {"annotations", {{"drop-me", "x"}, {"keep-me", "y"}}}}},
                                     {"data", {{"k", std::string(100, 'v')}}}});
  }
  kube::InformerOptions o;
  o.compact = compact;
  o.transform = [](json& obj) { obj["metadata"]["annotations"].erase("drop-me"); };
  kube::Informer inf(client, r, "ns", {}, o);
  std::mutex mu;
  std::vector<json> seen;
  kube::InformerHandlers h;
  h.on_add = [&](const kube::ObjectPtr& obj) {
    std::lock_guard l(mu);
    seen.push_back(*obj);
  };
  inf.AddHandlers(h);
  inf.Start();
  REQUIRE(inf.WaitForSync(std::stop_token{}, std::chrono::seconds(10)));
  inf.Stop();

  CHECK(inf.store()->compact() == compact);
  REQUIRE(inf.store()->Size() == 2);
  const json expected{{"apiVersion", "v1"},
                      {"kind", "ConfigMap"},
                      {"metadata",
                       {{"name", "a"}, {"namespace", "ns"}, {"resourceVersion", "5"}, {"annotations", {{"keep-me", "y"}}}}},
                      {"data", {{"k", std::string(100, 'v')}}}};
  CHECK(*inf.store()->Get("ns/a") == expected);
  std::lock_guard l(mu);
  REQUIRE(seen.size() == 2);
  CHECK(seen[0] == expected);  // handlers see what the cache holds
}
