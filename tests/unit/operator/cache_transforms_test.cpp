// The Tenant controllers' cache options (operator/kube/cache_transforms.hpp): what they drop
// is never something specs::NeedsApply compares, so an unchanged tenant is never re-applied
// when its objects are read through those caches (no reconcile storm).
#include <catch2/catch.hpp>

#include "operator/api/resources.hpp"
#include "operator/api/tenant.hpp"
#include "operator/controller/tenant_reconciler.hpp"
#include "operator/kube/cache_transforms.hpp"
#include "operator/kube/objects.hpp"
#include "operator/specs/secrets.hpp"
#include "operator/specs/subset.hpp"
#include "operator/specs/workload.hpp"
#include "tenant_fakes.hpp"

using namespace tenant;
using nlohmann::json;

namespace {

constexpr const char* kLastApplied = "kubectl.kubernetes.io/last-applied-configuration";

// What a cache built with `o` holds for `obj`: the transform, then the store's own form.
json Cached(const kube::InformerOptions& o, json obj) {
  if (o.transform) o.transform(obj);
  kube::Store st(kube::StoreOptions{o.compact, o.indexers});
  const std::string key = kube::ObjectKey(obj);
  st.Upsert(std::move(obj));
  return *st.Get(key);
}

// An ObjectCache that reads another store through the cache options (transform + packed
// round trip), as the informer-fed caches of the running operator would.
class CacheView final : public kube::ObjectCache {
 public:
  CacheView(std::shared_ptr<kube::Store> server, kube::InformerOptions o) : server_(std::move(server)), o_(std::move(o)) {}
  kube::ObjectPtr Get(std::string_view key) const override { return Through(server_->Get(key)); }
  std::vector<kube::ObjectPtr> List(std::string_view ns, const kube::LabelSelector& selector) const override {
    auto all = server_->List(ns, selector);
    for (auto& o : all) o = Through(o);
    return all;
  }
  std::vector<kube::ObjectPtr> ByOwnerUid(std::string_view uid) const override {
    auto all = server_->ByOwnerUid(uid);
    for (auto& o : all) o = Through(o);
    return all;
  }
  std::vector<std::string> IndexKeys(std::string_view index, std::string_view value) const override {
    return server_->IndexKeys(index, value);
  }
  std::map<std::string, std::size_t, std::less<>> IndexCounts(std::string_view index) const override {
    return server_->IndexCounts(index);
  }
  std::vector<std::string> Keys() const override { return server_->Keys(); }
  bool HasSynced() const override { return server_->HasSynced(); }

 private:
  kube::ObjectPtr Through(const kube::ObjectPtr& o) const {
    return o ? std::make_shared<const json>(Cached(o_, *o)) : nullptr;
  }
  std::shared_ptr<kube::Store> server_;
  kube::InformerOptions o_;
};

// What the API server adds to an applied object: identity, bookkeeping, kubectl's copy
// when someone used kubectl apply, status, defaults the operator never sets.
json AsServed(json obj) {
  auto& m = obj["metadata"];
  m["uid"] = "uid-" + m.value("name", "");
  m["resourceVersion"] = "4242";
  m["generation"] = 3;
  m["creationTimestamp"] = "2026-11-29T10:00:00Z";
  m["annotations"][kLastApplied] = json{{"kind", obj.value("kind", "")}, {"metadata", {{"name", m["name"]}}}}.dump();
  obj["status"] = {{"observedGeneration", 3}, {"conditions", json::array({{{"type", "Available"}, {"status", "True"}}})}};
  if (obj.value("kind", "") == "Deployment") {  // defaults fill only what was not set
    auto fill = [](json& j, const char* k, json v) {
      if (!j.contains(k)) j[k] = std::move(v);
    };
    fill(obj["spec"], "revisionHistoryLimit", 10);
    fill(obj["spec"]["template"]["spec"], "dnsPolicy", "ClusterFirst");
    fill(obj["spec"]["template"]["spec"]["containers"][0], "terminationMessagePath", "/dev/termination-log");
  }
  return obj;
}

api::Tenant FullTenant() {
  return api::ParseTenant(json::parse(R"({"metadata":{"name":"acme","namespace":"erp","uid":"uid-1","generation":2,
    "annotations":{"tenancy.erp.dev/rotate-credentials":"r1"}},
    "spec":{"tenantId":"acme","displayName":"ACME",
      "api":{"image":"reg/api:2","replicas":3,
             "resources":{"limits":{"cpu":"2","memory":"1Gi"},"requests":{"cpu":"0.5","memory":"256Mi"}},
             "autoscaling":{"minReplicas":2,"maxReplicas":6,"targetCPUUtilizationPercentage":80},
             "rateLimit":{"requestsPerMinute":600},"corsOrigins":["https://a.example"]}}})"));
}

// Every object the Tenant controller applies, with every optional part switched on.
std::vector<json> DesiredObjects() {
  const api::Tenant t = FullTenant();
  specs::ApiSettings s;
  s.default_image = "tenant-api:9.9";
  s.redis_secret_name = "redis";
  s.sentry_secret_name = "sentry";
  const specs::DeploymentInputs in{"0123456789abcdef", true, 5432};
  const specs::DbConnection c{"pg.db.svc", 5432, "erp_tenant_acme", "erp_tenant_acme_a",
                              std::string(43, 'p'), "verify-full", "-----BEGIN CERTIFICATE-----\nX\n-----END CERTIFICATE-----\n"};
  std::vector<json> out{specs::BuildDbSecret(t, c, {"2026-11-29T04:00:00Z", "erp_tenant_acme_b", "r1"}),
                        specs::BuildApiSecret(t, std::string(43, 'k')),
                        specs::BuildAdminSecret(t, "admin", "secret-password"),
                        specs::BuildDeployment(t, s, in),
                        specs::BuildService(t),
                        specs::BuildNetworkPolicy(t, s, in)};
  if (auto pdb = specs::BuildPodDisruptionBudget(t)) out.push_back(*pdb);
  if (auto hpa = specs::BuildHorizontalPodAutoscaler(t)) out.push_back(*hpa);
  return out;
}

}  // namespace

TEST_CASE("DropLastAppliedConfiguration drops kubectl's copy and nothing else", "[kube][transform]") {
  json o{{"metadata", {{"name", "a"}, {"annotations", {{kLastApplied, "{}"}, {"tenancy.erp.dev/x", "1"}}}}},
         {"spec", {{"k", "v"}}}};
  kube::DropLastAppliedConfiguration(o);
  CHECK(o == json{{"metadata", {{"name", "a"}, {"annotations", {{"tenancy.erp.dev/x", "1"}}}}}, {"spec", {{"k", "v"}}}});
  json bare{{"metadata", {{"name", "a"}}}};
  kube::DropLastAppliedConfiguration(bare);
  CHECK(bare == json{{"metadata", {{"name", "a"}}}});
  json odd{{"metadata", "not an object"}};
  kube::DropLastAppliedConfiguration(odd);
  CHECK(odd == json{{"metadata", "not an object"}});
}

TEST_CASE("The cache options keep every field the builders set: NeedsApply stays false", "[kube][transform]") {
  const auto primary = kube::PrimaryCacheOptions();
  const auto owned = kube::OwnedCacheOptions();
  CHECK(owned.compact);
  CHECK_FALSE(primary.compact);  // listed whole on hot paths
  const auto desired = DesiredObjects();
  REQUIRE(desired.size() == 8);  // 3 Secrets, Deployment, Service, NetworkPolicy, PDB, HPA
  for (const auto& d : desired) {
    CAPTURE(d.value("kind", ""));
    const json served = AsServed(d);
    REQUIRE_FALSE(specs::NeedsApply(d, served));
    const json cached = Cached(owned, served);
    CHECK_FALSE(specs::NeedsApply(d, cached));
    CHECK_FALSE(cached["metadata"]["annotations"].contains(kLastApplied));
    // What the controller reads besides NeedsApply: identity, owner, status.
    CHECK(cached["metadata"]["resourceVersion"] == "4242");
    CHECK(cached["metadata"]["ownerReferences"] == d["metadata"]["ownerReferences"]);
    CHECK(cached["status"] == served["status"]);
    if (d["kind"] == "Secret") CHECK(specs::DecodeSecretData(cached) == specs::DecodeSecretData(d));
    // A change someone made to an operator-owned field is still seen through the cache.
    json drifted = served;
    drifted["metadata"]["labels"]["app.kubernetes.io/managed-by"] = "someone-else";
    CHECK(specs::NeedsApply(d, Cached(owned, drifted)));
  }
  // A Tenant applied with kubectl: everything but kubectl's copy survives.
  json tenant = AsServed(json{{"apiVersion", "tenancy.erp.dev/v1alpha1"},
                              {"kind", "Tenant"},
                              {"metadata", {{"name", "acme"}, {"namespace", "erp"}}},
                              {"spec", {{"tenantId", "acme"}}}});
  json expected = tenant;
  expected["metadata"]["annotations"].erase(kLastApplied);
  CHECK(Cached(primary, tenant) == expected);
}

TEST_CASE("Through the operator's cache options a second reconcile of an unchanged Tenant writes nothing",
          "[kube][transform][tenant]") {
  namespace r = kube::resources;
  auto client = std::make_shared<test::FakeClient>();
  auto db = std::make_shared<test::FakeExecutor>();
  auto registry = std::make_shared<controller::ServerRegistry>();
  const auto primary = kube::PrimaryCacheOptions();
  const auto owned = kube::OwnedCacheOptions();
  auto view = [&](const kube::Resource& res, const kube::InformerOptions& o) {
    return std::make_shared<CacheView>(client->StoreFor(res), o);
  };
  controller::TenantCaches caches{view(api::kTenants, primary),
                                  view(api::kDatabaseServers, primary),
                                  view(r::kSecrets, owned),
                                  view(r::kDeployments, owned),
                                  view(r::kServices, owned),
                                  view(r::kPodDisruptionBudgets, owned),
                                  view(r::kHorizontalPodAutoscalers, owned),
                                  view(r::kNetworkPolicies, owned)};
  controller::TenantReconcilerOptions opts;
  opts.bcrypt_cost = 4;
  opts.api.default_image = "tenant-api:test";
  auto now = std::chrono::system_clock::from_time_t(1'800'000'000);
  controller::TenantReconciler reconciler(client, caches, std::make_shared<test::FakeEvents>(), registry, opts,
                                          [&now] { return now; });
  client->StoreFor(api::kDatabaseServers)
      ->Upsert(json{{"apiVersion", "tenancy.erp.dev/v1alpha1"},
                    {"kind", "DatabaseServer"},
                    {"metadata", {{"name", "main"}, {"uid", "srv-1"}}},
                    {"spec", {{"host", "pg.db.svc"}, {"adminSecretRef", {{"namespace", "db"}, {"name", "pg-admin"}}}}}});
  controller::ServerEntry entry;
  entry.name = "main";
  entry.host = "pg.db.svc";
  entry.ssl_mode = "verify-full";
  entry.ca_pem = "CA-PEM";
  entry.fingerprint = "fp";
  entry.executor = db;
  entry.ready = true;
  registry->Put(entry);
  // Applied with kubectl: the Tenant carries kubectl's copy of itself.
  client->StoreFor(api::kTenants)
      ->Upsert(json{{"apiVersion", "tenancy.erp.dev/v1alpha1"},
                    {"kind", "Tenant"},
                    {"metadata",
                     {{"name", "acme"}, {"namespace", "erp"}, {"uid", "t-uid"}, {"generation", 1}, {"resourceVersion", "1"},
                      {"annotations", {{kLastApplied, R"({"spec":{"tenantId":"acme"}})"}}}}},
                    {"spec",
                     {{"tenantId", "acme"},
                      {"api", {{"replicas", 3}, {"autoscaling", {{"minReplicas", 2}, {"maxReplicas", 5}}}}}}}});
  auto reconcile = [&] { return reconciler.Reconcile({"erp", "acme"}, {}); };
  REQUIRE(reconcile().ok());
  REQUIRE(client->CountLog("apply horizontalpodautoscalers") == 1);
  // The API server's additions to what was applied (defaults, status, kubectl's copy).
  for (const auto* res : {&r::kSecrets, &r::kDeployments, &r::kServices, &r::kPodDisruptionBudgets,
                          &r::kHorizontalPodAutoscalers, &r::kNetworkPolicies}) {
    auto store = client->StoreFor(*res);
    for (const auto& o : store->List()) {
      json served = AsServed(*o);
      // Keep what the fake API server tracks itself (identity, generation, Deployment rollout).
      for (const char* f : {"uid", "resourceVersion", "generation"}) served["metadata"][f] = (*o)["metadata"][f];
      if (o->contains("status")) served["status"] = (*o)["status"];
      store->Upsert(served);
    }
  }
  REQUIRE(reconcile().ok());  // settles anything the first pass left for later
  const int writes = client->writes;
  const auto executed = db->executed.size();
  for (int i = 0; i < 3; ++i) CHECK(reconcile().ok());
  CHECK(client->writes == writes);
  CHECK(db->executed.size() == executed);
  // Status writes went to the server's object, whose kubectl copy is untouched.
  const auto t = client->StoreFor(api::kTenants)->Get("erp/acme");
  CHECK((*t)["metadata"]["annotations"].contains(kLastApplied));
  CHECK((*t)["status"]["conditions"].size() >= 3);
}
