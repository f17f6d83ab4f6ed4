#include <catch2/catch.hpp>

#include "operator/kube/controller.hpp"
#include "operator/kube/controller_loop.hpp"
#include "operator/kube/labels.hpp"
#include "operator/kube/objects.hpp"
#include "operator/kube/store.hpp"

using namespace tenant::kube;
using nlohmann::json;

namespace {
json Obj(std::string ns, std::string name, json labels = json::object(), std::string owner_uid = {}) {
  json o{{"metadata", {{"namespace", ns}, {"name", name}, {"labels", labels}}}};
  if (!owner_uid.empty()) {
    o["metadata"]["ownerReferences"] = json::array({{{"apiVersion", "tenancy.erp.dev/v1alpha1"}, {"kind", "Tenant"},
                                                     {"name", "acme"}, {"uid", owner_uid}, {"controller", true}}});
  }
  return o;
}
}  // namespace

TEST_CASE("label selectors", "[kube][labels]") {
  auto s = LabelSelector::Parse("app=api, tier in (web,db),!legacy,env!=prod");
  CHECK(s.Matches(std::map<std::string, std::string>{{"app", "api"}, {"tier", "db"}}));
  CHECK_FALSE(s.Matches(std::map<std::string, std::string>{{"app", "api"}, {"tier", "cache"}}));
  CHECK_FALSE(s.Matches(std::map<std::string, std::string>{{"app", "api"}, {"tier", "db"}, {"legacy", ""}}));
  CHECK_FALSE(s.Matches(std::map<std::string, std::string>{{"app", "api"}, {"tier", "db"}, {"env", "prod"}}));
  CHECK(LabelSelector::Parse("a notin (x)").Matches(std::map<std::string, std::string>{}));
  CHECK(LabelSelector::Parse("").Empty());
  CHECK_THROWS(LabelSelector::Parse("a in (x"));
  CHECK_THROWS(LabelSelector::Parse("a,,b"));
  CHECK(LabelSelector::Parse("a==b,c").String() == "a=b,c");
}

TEST_CASE("store: get by key, list by namespace and selector, owner UID index", "[kube][store]") {
  Store st;
  st.Upsert(Obj("ns1", "a", {{"app", "x"}}, "u1"));
  st.Upsert(Obj("ns1", "b", {{"app", "y"}}, "u1"));
  st.Upsert(Obj("ns2", "a", {{"app", "x"}}, "u2"));
  st.Upsert(json{{"metadata", {{"name", "cluster-wide"}}}});
  CHECK(st.Get("ns1/a"));
  CHECK(st.Get("ns2", "a"));
  CHECK(st.Get("cluster-wide"));
  CHECK_FALSE(st.Get("ns3/a"));
  CHECK(st.List("ns1").size() == 2);
  CHECK(st.List("", LabelSelector::Parse("app=x")).size() == 2);
  CHECK(st.List("ns1", LabelSelector::Parse("app=x")).size() == 1);
  CHECK(st.ByOwnerUid("u1").size() == 2);
  // Re-parenting an object moves it in the index.
  st.Upsert(Obj("ns1", "b", {{"app", "y"}}, "u2"));
  CHECK(st.ByOwnerUid("u1").size() == 1);
  CHECK(st.ByOwnerUid("u2").size() == 2);
  st.Remove("ns1/a");
  CHECK(st.ByOwnerUid("u1").empty());
  auto gone = st.Replace({std::make_shared<const json>(Obj("ns2", "a"))});
  CHECK(gone.size() == 2);
  CHECK(st.Size() == 1);
  CHECK(st.ByOwnerUid("u2").empty());  // the replacement has no owner
  CHECK_FALSE(st.HasSynced());
  st.MarkSynced();
  CHECK(st.HasSynced());
}

TEST_CASE("store indexes: values filed at insert, moved on update, dropped on delete and relist", "[kube][store]") {
  for (bool compact : {false, true}) {
    StoreOptions o;
    o.compact = compact;
    // Filed under the "team" label; objects without it are not filed.
    o.indexers.emplace("team", [](const json& obj) -> std::vector<std::string> {
      const auto& labels = obj["metadata"]["labels"];
      if (!labels.contains("team")) return {};
      return {labels["team"].get<std::string>()};
    });
    Store st(o);
    st.Upsert(Obj("a", "x", {{"team", "red"}}));
    st.Upsert(Obj("b", "y", {{"team", "red"}}));
    st.Upsert(Obj("a", "z", {{"team", "blue"}}));
    st.Upsert(Obj("a", "none"));
    CHECK(st.IndexKeys("team", "red") == std::vector<std::string>{"a/x", "b/y"});
    CHECK(st.IndexCounts("team") == std::map<std::string, std::size_t, std::less<>>{{"blue", 1}, {"red", 2}});

    st.Upsert(Obj("b", "y", {{"team", "blue"}}));  // moves
    CHECK(st.IndexKeys("team", "red") == std::vector<std::string>{"a/x"});
    CHECK(st.IndexKeys("team", "blue") == std::vector<std::string>{"a/z", "b/y"});
    st.Remove("a/x");
    CHECK(st.IndexKeys("team", "red").empty());
    CHECK(st.IndexCounts("team") == std::map<std::string, std::size_t, std::less<>>{{"blue", 2}});

    std::vector<ObjectPtr> relisted{std::make_shared<const json>(Obj("c", "w", {{"team", "green"}}))};
    st.Replace(std::move(relisted));
    CHECK(st.IndexCounts("team") == std::map<std::string, std::size_t, std::less<>>{{"green", 1}});
    CHECK(st.IndexKeys("team", "blue").empty());
    CHECK_THROWS_AS(st.IndexKeys("owner", "x"), std::out_of_range);
    CHECK_THROWS_AS(st.IndexCounts("owner"), std::out_of_range);
  }
}

TEST_CASE("owner references and mapping owned objects to their owner key", "[kube][objects]") {
  json owner{{"apiVersion", "tenancy.erp.dev/v1alpha1"}, {"kind", "Tenant"},
             {"metadata", {{"name", "acme"}, {"namespace", "t"}, {"uid", "u-1"}}}};
  json cm{{"metadata", {{"name", "acme-db"}, {"namespace", "t"}}}};
  SetControllerReference(cm, owner);
  SetControllerReference(cm, owner);  // idempotent
  REQUIRE(cm["metadata"]["ownerReferences"].size() == 1);
  auto ref = cm["metadata"]["ownerReferences"][0];
  CHECK(ref["controller"] == true);
  CHECK(ref["blockOwnerDeletion"] == true);
  CHECK(IsControlledBy(cm, "u-1"));
  auto reqs = MapToControllerOwner(cm, "tenancy.erp.dev", "Tenant");
  REQUIRE(reqs.size() == 1);
  CHECK(reqs[0] == Request{"t", "acme"});
  CHECK(MapToControllerOwner(cm, "apps", "Deployment").empty());
  json other = owner;
  other["metadata"]["name"] = "other";
  other["metadata"]["uid"] = "u-2";
  CHECK_THROWS_AS(SetControllerReference(cm, other), std::logic_error);
}

TEST_CASE("primary update predicate", "[kube][controller]") {
  json a{{"metadata", {{"name", "x"}, {"generation", 1}, {"resourceVersion", "1"}}}, {"status", {{"p", 1}}}};
  json b = a;
  b["metadata"]["resourceVersion"] = "2";
  b["status"]["p"] = 2;
  CHECK_FALSE(PrimaryUpdateMatters(a, b));  // status-only change
  b["metadata"]["generation"] = 2;
  CHECK(PrimaryUpdateMatters(a, b));
  json c = a;
  c["metadata"]["finalizers"] = json::array({"f"});
  CHECK(PrimaryUpdateMatters(a, c));
  json d{{"metadata", {{"name", "cm"}, {"resourceVersion", "1"}}}, {"data", {{"k", "v"}}}};
  json e = d;
  e["metadata"]["resourceVersion"] = "2";
  CHECK_FALSE(PrimaryUpdateMatters(d, e));
  e["data"]["k"] = "w";
  CHECK(PrimaryUpdateMatters(d, e));  // no generation: data changes count
}
