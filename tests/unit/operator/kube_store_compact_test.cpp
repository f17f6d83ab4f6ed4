// kube::Store keeping objects packed (StoreOptions::compact): every read gives back the
// object that was stored, and the indexes and Replace behave exactly like the parsed store.
#include <catch2/catch.hpp>

#include "operator/kube/labels.hpp"
#include "operator/kube/store.hpp"

using namespace tenant::kube;
using nlohmann::json;

namespace {

json Obj(const std::string& ns, const std::string& name, const std::string& rv, json labels = json::object(),
         const std::string& owner_uid = {}) {
  json o{{"metadata", {{"namespace", ns}, {"name", name}, {"resourceVersion", rv}, {"labels", labels}}}};
  if (!owner_uid.empty()) {
    o["metadata"]["ownerReferences"] = json::array({{{"kind", "Tenant"}, {"name", "acme"}, {"uid", owner_uid}}});
  }
  return o;
}

ObjectPtr Ptr(json j) { return std::make_shared<const json>(std::move(j)); }

StoreOptions Packed(bool compact) {
  StoreOptions o;
  o.compact = compact;
  return o;
}

}  // namespace

TEST_CASE("compact store: a read returns exactly the stored object", "[kube][store]") {
  Store st(Packed(true));
  REQUIRE(st.compact());
  json o = Obj("ns", "a", "7", {{"app", "x"}});
  o["spec"] = {{"replicas", 3},
               {"negative", -12},
               {"big", 18446744073709551615ULL},
               {"ratio", 0.1},
               {"half", 0.5},
               {"on", true},
               {"none", nullptr},
               {"empty_object", json::object()},
               {"empty_array", json::array()},
               {"nested", {{"list", {1, "two", {{"three", 3}}}}}},
               {"text", std::string(5000, 'z') + "\xc3\xa9\xe2\x82\xac"}};
  o["data"] = {{"password", "cGFzc3dvcmQ="}};
  CHECK_FALSE(st.Upsert(o));
  auto got = st.Get("ns/a");
  REQUIRE(got);
  CHECK(*got == o);
  CHECK((*got)["spec"]["big"].is_number_unsigned());
  CHECK((*got)["spec"]["negative"].get<long long>() == -12);
  CHECK((*got)["spec"]["ratio"].get<double>() == 0.1);
  CHECK((*got)["spec"]["empty_object"].is_object());
  CHECK((*got)["spec"]["empty_array"].is_array());
  // Each read is its own snapshot; changing a copy never changes the store.
  json copy = *got;
  copy["spec"]["replicas"] = 4;
  CHECK((*st.Get("ns/a"))["spec"]["replicas"] == 3);
  // Upsert and Remove hand back the previous state.
  json o2 = o;
  o2["metadata"]["resourceVersion"] = "8";
  auto old = st.Upsert(o2);
  REQUIRE(old);
  CHECK(*old == o);
  auto removed = st.Remove("ns/a");
  REQUIRE(removed);
  CHECK(*removed == o2);
  CHECK_FALSE(st.Get("ns/a"));
  CHECK_FALSE(st.Remove("ns/a"));
}

TEST_CASE("compact and parsed stores answer the same", "[kube][store]") {
  const bool compact = GENERATE(false, true);
  CAPTURE(compact);
  Store st(Packed(compact));
  st.Upsert(Obj("ns1", "a", "1", {{"app", "x"}}, "u1"));
  st.Upsert(Obj("ns1", "b", "1", {{"app", "y"}}, "u1"));
  st.Upsert(Obj("ns2", "a", "1", {{"app", "x"}}, "u2"));
  st.Upsert(json{{"metadata", {{"name", "cluster-wide"}}}});
  CHECK(st.Size() == 4);
  CHECK(st.Get("ns2", "a"));
  CHECK(st.Get("cluster-wide"));
  CHECK(st.List("ns1").size() == 2);
  CHECK(st.List("", LabelSelector::Parse("app=x")).size() == 2);
  CHECK(st.List("ns1", LabelSelector::Parse("app=x")).size() == 1);
  CHECK(st.Keys() == std::vector<std::string>{"cluster-wide", "ns1/a", "ns1/b", "ns2/a"});
  REQUIRE(st.ByOwnerUid("u1").size() == 2);
  CHECK((*st.ByOwnerUid("u2")[0])["metadata"]["name"] == "a");
  st.Upsert(Obj("ns1", "b", "2", {{"app", "y"}}, "u2"));  // re-parented
  CHECK(st.ByOwnerUid("u1").size() == 1);
  CHECK(st.ByOwnerUid("u2").size() == 2);
  st.Remove("ns1/a");
  CHECK(st.ByOwnerUid("u1").empty());

  // Replace from prepared entries reports what changed: ns1/b at a new resourceVersion,
  // ns2/a unchanged, ns3/c new, cluster-wide gone.
  std::vector<std::pair<std::string, Store::Entry>> entries;
  for (const auto& o : {Obj("ns1", "b", "3", {}, "u3"), Obj("ns2", "a", "1", {{"app", "x"}}, "u2"), Obj("ns3", "c", "1")}) {
    entries.emplace_back(ObjectKey(o), st.Prepare(o));
    CHECK(entries.back().second.packed.empty() == !compact);
    CHECK(static_cast<bool>(entries.back().second.object) == !compact);
  }
  auto changes = st.Replace(std::move(entries));
  CHECK(changes.added == std::vector<std::string>{"ns3/c"});
  REQUIRE(changes.updated.size() == 1);
  CHECK(changes.updated[0].first == "ns1/b");
  CHECK((*changes.updated[0].second)["metadata"]["resourceVersion"] == "2");  // the previous state
  REQUIRE(changes.gone.size() == 1);
  CHECK((*changes.gone[0])["metadata"]["name"] == "cluster-wide");
  CHECK(st.Size() == 3);
  CHECK((*st.Get("ns1/b"))["metadata"]["resourceVersion"] == "3");
  CHECK(st.ByOwnerUid("u1").empty());
  CHECK(st.ByOwnerUid("u3").size() == 1);
  CHECK(st.ByOwnerUid("u2").size() == 1);

  // The ObjectPtr form of Replace returns the objects that disappeared.
  auto gone = st.Replace({Ptr(Obj("ns3", "c", "1"))});
  CHECK(gone.size() == 2);
  CHECK(st.Keys() == std::vector<std::string>{"ns3/c"});
  CHECK(st.ByOwnerUid("u2").empty());
}

TEST_CASE("a packed object is several times smaller than its parsed tree", "[kube][store]") {
  // Not a benchmark (tests/bench/informer_bench.sh measures RSS): checks that compact mode
  // really stores bytes, the size of the object's JSON text or less.
  Store st(Packed(true));
  json o = Obj("ns", "a", "1", {{"app.kubernetes.io/name", "tenant-api"}});
  for (int i = 0; i < 50; ++i) o["spec"]["env"].push_back({{"name", "VAR_" + std::to_string(i)}, {"value", "v"}});
  auto e = st.Prepare(o);
  CHECK_FALSE(e.packed.empty());
  CHECK(e.packed.size() <= o.dump().size());
  CHECK_FALSE(st.Upsert(o));
  CHECK(*st.Get("ns/a") == o);
}
