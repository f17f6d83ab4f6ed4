// Credential rotation: when to rotate, waiting for the rollout, retiring the old role;
// and the a/b switch through the reconciler without downtime.
#include <catch2/catch.hpp>

#include "operator/api/names.hpp"
#include "operator/controller/rotation.hpp"
#include "operator/controller/tenant_reconciler.hpp"
#include "tenant_fakes.hpp"

using namespace tenant;
using controller::DecideRotation;
using controller::RotationAction;
using nlohmann::json;

namespace {
api::Tenant T(json spec, json annotations = json::object()) {
  spec["tenantId"] = "acme";
  return api::ParseTenant(json{{"metadata", {{"name", "acme"}, {"namespace", "erp"}, {"annotations", annotations}}},
                               {"spec", spec}});
}
const auto kNow = *controller::ParseTime("2026-12-01T00:00:00Z");
}  // namespace

TEST_CASE("ParseTime reads RFC 3339 UTC", "[rotation]") {
  CHECK(controller::ParseTime("2026-12-01T00:00:00Z"));
  CHECK(*controller::ParseTime("2026-12-01T01:00:00Z") - kNow == std::chrono::hours(1));
  CHECK_FALSE(controller::ParseTime("yesterday"));
  CHECK_FALSE(controller::ParseTime("2026-12-01T00:00:00+02:00"));
}

TEST_CASE("Rotation falls due after rotationPeriod", "[rotation]") {
  auto t = T({{"credentials", {{"rotationPeriod", "720h"}}}});
  specs::CredentialsState st{"2026-11-01T00:00:00Z", "", ""};  // 30 days ago
  auto d = DecideRotation(t, st, true, kNow);
  CHECK(d.action == RotationAction::kRotate);
  CHECK_THAT(d.why, Catch::Contains("rotationPeriod"));
  st.rotated_at = "2026-11-15T00:00:00Z";
  d = DecideRotation(t, st, true, kNow);
  CHECK(d.action == RotationAction::kNone);
  REQUIRE(d.next_check);
  CHECK(*d.next_check == std::chrono::hours(24 * 14));
  // Without a period nothing happens.
  CHECK(DecideRotation(T({}), st, true, kNow).action == RotationAction::kNone);
}

TEST_CASE("Rotation on annotation change, once per value", "[rotation]") {
  auto t = T({}, {{"tenancy.erp.dev/rotate-credentials", "2026-12-01"}});
  specs::CredentialsState st{"2026-11-30T00:00:00Z", "", ""};
  CHECK(DecideRotation(t, st, true, kNow).action == RotationAction::kRotate);
  st.rotation_request = "2026-12-01";
  CHECK(DecideRotation(t, st, true, kNow).action == RotationAction::kNone);
}

TEST_CASE("In-flight rotation waits for the rollout, then retires the old role", "[rotation]") {
  auto t = T({}, {{"tenancy.erp.dev/rotate-credentials", "again"}});
  specs::CredentialsState st{"2026-11-30T00:00:00Z", "erp_tenant_acme_a", "x"};
  CHECK(DecideRotation(t, st, false, kNow).action == RotationAction::kAwaitRollout);
  CHECK(DecideRotation(t, st, true, kNow).action == RotationAction::kRetireOldRole);
}

TEST_CASE("RolloutComplete needs the new template everywhere and all replicas available", "[rotation]") {
  json d = json::parse(R"({"metadata":{"generation":3},
    "spec":{"replicas":2,"template":{"metadata":{"annotations":{"tenancy.erp.dev/credentials-version":"v2"}}}},
    "status":{"observedGeneration":3,"replicas":2,"updatedReplicas":2,"availableReplicas":2}})");
  CHECK(controller::RolloutComplete(d, "v2"));
  CHECK_FALSE(controller::RolloutComplete(d, "v1"));  // template not updated yet
  json old_pod_left = d;
  old_pod_left["status"]["replicas"] = 3;
  CHECK_FALSE(controller::RolloutComplete(old_pod_left, "v2"));
  json stale = d;
  stale["status"]["observedGeneration"] = 2;
  CHECK_FALSE(controller::RolloutComplete(stale, "v2"));
  json unavailable = d;
  unavailable["status"]["availableReplicas"] = 1;
  CHECK_FALSE(controller::RolloutComplete(unavailable, "v2"));
  CHECK(controller::OtherRole("acme", "erp_tenant_acme_a") == "erp_tenant_acme_b");
  CHECK(controller::OtherRole("acme", "erp_tenant_acme_b") == "erp_tenant_acme_a");
}

TEST_CASE("Rotation through the reconciler: a -> b, old password kept until the rollout", "[rotation]") {
  auto client = std::make_shared<test::FakeClient>();
  auto db = std::make_shared<test::FakeExecutor>();
  auto registry = std::make_shared<controller::ServerRegistry>();
  auto now = kNow;
  namespace r = kube::resources;
  controller::TenantCaches caches{client->StoreFor(api::kTenants), client->StoreFor(api::kDatabaseServers),
                                  client->StoreFor(r::kSecrets),   client->StoreFor(r::kDeployments),
                                  client->StoreFor(r::kServices),  client->StoreFor(r::kPodDisruptionBudgets),
                                  client->StoreFor(r::kHorizontalPodAutoscalers), client->StoreFor(r::kNetworkPolicies)};
  controller::TenantReconcilerOptions opts;
  opts.bcrypt_cost = 4;
  opts.generated_admin_bcrypt_cost = 4;
  auto events = std::make_shared<test::FakeEvents>();
  controller::TenantReconciler rec(client, caches, events, registry, opts, [&now] { return now; });
  client->StoreFor(api::kDatabaseServers)
      ->Upsert(json{{"metadata", {{"name", "main"}}},
                    {"spec", {{"host", "h"}, {"adminSecretRef", {{"namespace", "db"}, {"name", "a"}}}}}});
  registry->Put(controller::ServerEntry{"main", "h", 5432, "require", "", "fp", db, true, "", "15", ""});
  client->StoreFor(api::kTenants)
      ->Upsert(json{{"metadata", {{"name", "acme"}, {"namespace", "erp"}, {"uid", "u"}, {"generation", 1},
                                  {"resourceVersion", "1"}}},
                    {"spec", {{"tenantId", "acme"}}}});
  REQUIRE(rec.Reconcile({"erp", "acme"}, {}).ok());
  auto secret = [&] { return specs::DecodeSecretData(*client->StoreFor(r::kSecrets)->Get("erp/acme-db")); };
  const auto before = secret();
  REQUIRE(before.at("username") == "erp_tenant_acme_a");

  // Ask for a rotation; the Deployment will not finish rolling yet.
  json t = *client->StoreFor(api::kTenants)->Get("erp/acme");
  t["metadata"]["annotations"] = {{"tenancy.erp.dev/rotate-credentials", "now"}};
  client->StoreFor(api::kTenants)->Upsert(t);
  client->deployments_become_available = false;
  now += std::chrono::minutes(1);
  rec.Reconcile({"erp", "acme"}, {});
  auto after = secret();
  CHECK(after.at("username") == "erp_tenant_acme_b");
  CHECK(after.at("password") != before.at("password"));
  CHECK(db->PasswordOf("erp_tenant_acme_b") == after.at("password"));
  // The old role still has its password: pods not yet rolled keep connecting.
  CHECK(db->PasswordOf("erp_tenant_acme_a") == before.at("password"));
  CHECK(events->Has("CredentialsRotated"));
  std::string status_role = (*client->StoreFor(api::kTenants)->Get("erp/acme"))["status"]["credentials"]["activeRole"];
  CHECK(status_role == "erp_tenant_acme_b");

  // A reconcile while the rollout is still running changes nothing in PostgreSQL.
  const auto executed = db->executed.size();
  rec.Reconcile({"erp", "acme"}, {});
  CHECK(db->executed.size() == executed);
  CHECK(secret().at("username") == "erp_tenant_acme_b");

  // The rollout completes: the old role loses its password and its sessions.
  json dep = *client->StoreFor(r::kDeployments)->Get("erp/acme-api");
  long long replicas = dep["spec"]["replicas"];
  dep["status"] = {{"observedGeneration", dep["metadata"]["generation"]}, {"replicas", replicas},
                   {"updatedReplicas", replicas}, {"readyReplicas", replicas}, {"availableReplicas", replicas},
                   {"conditions", json::array({{{"type", "Available"}, {"status", "True"}}})}};
  client->StoreFor(r::kDeployments)->Upsert(dep);
  CHECK(rec.Reconcile({"erp", "acme"}, {}).ok());
  CHECK(db->roles.at("erp_tenant_acme_a").verifier.empty());
  CHECK(std::count(db->executed.begin(), db->executed.end(), "TerminateSessions") == 1);
  CHECK(events->Has("OldCredentialsRetired"));
  CHECK(db->PasswordOf("erp_tenant_acme_b") == secret().at("password"));
  // Same annotation value again: no second rotation.
  const auto settled = db->executed.size();
  CHECK(rec.Reconcile({"erp", "acme"}, {}).ok());
  CHECK(db->executed.size() == settled);
}
