// The Tenant reconciler against fakes of its two I/O interfaces: provisioning order,
// idempotence (a second reconcile of an unchanged Tenant writes nothing), drift repair,
// suspend, failures and stalls, deletion.
#include <catch2/catch.hpp>

#include <condition_variable>
#include <mutex>

#include "operator/api/condition.hpp"
#include "operator/api/names.hpp"
#include "operator/controller/tenant_reconciler.hpp"
#include "operator/kube/objects.hpp"
#include "operator/specs/encoding.hpp"
#include "operator/specs/secrets.hpp"
#include "tenant_fakes.hpp"

using namespace tenant;
using nlohmann::json;
using test::FakeClient;
using test::FakeEvents;
using test::FakeExecutor;

namespace {

struct Harness {
  std::shared_ptr<FakeClient> client = std::make_shared<FakeClient>();
  std::shared_ptr<FakeEvents> events = std::make_shared<FakeEvents>();
  std::shared_ptr<FakeExecutor> db = std::make_shared<FakeExecutor>();
  std::shared_ptr<controller::ServerRegistry> registry = std::make_shared<controller::ServerRegistry>();
  std::chrono::system_clock::time_point now = std::chrono::system_clock::from_time_t(1'800'000'000);
  std::unique_ptr<controller::TenantReconciler> reconciler;

  explicit Harness(json spec = json{{"tenantId", "acme"}},
                   const std::function<void(controller::TenantReconcilerOptions&)>& tweak = {}) {
    namespace r = kube::resources;
    controller::TenantCaches caches{client->StoreFor(api::kTenants), client->StoreFor(api::kDatabaseServers),
                                    client->StoreFor(r::kSecrets),   client->StoreFor(r::kDeployments),
                                    client->StoreFor(r::kServices),  client->StoreFor(r::kPodDisruptionBudgets),
                                    client->StoreFor(r::kHorizontalPodAutoscalers),
                                    client->StoreFor(r::kNetworkPolicies)};
    controller::TenantReconcilerOptions opts;
    opts.bcrypt_cost = 4;  // the cheapest bcrypt: this tests decisions, not hashing
    opts.generated_admin_bcrypt_cost = 5;  // distinguishable from bcrypt_cost, still cheap
    opts.api.default_image = "tenant-api:test";
    if (tweak) tweak(opts);
    reconciler = std::make_unique<controller::TenantReconciler>(client, caches, events, registry, opts,
                                                                [this] { return now; });
    client->StoreFor(api::kDatabaseServers)
        ->Upsert(json{{"apiVersion", "tenancy.erp.dev/v1alpha1"},
                      {"kind", "DatabaseServer"},
                      {"metadata", {{"name", "main"}, {"uid", "srv-1"}, {"labels", {{"region", "eu"}}}}},
                      {"spec", {{"host", "pg.db.svc"}, {"adminSecretRef", {{"namespace", "db"}, {"name", "pg-admin"}}}}}});
    registry->Put(controller::ServerEntry{"main", "pg.db.svc", 5432, "verify-full", "CA-PEM", "fp", db, true, "", "15.99", ""});
    client->StoreFor(api::kTenants)
        ->Upsert(json{{"apiVersion", "tenancy.erp.dev/v1alpha1"},
                      {"kind", "Tenant"},
                      {"metadata", {{"name", "acme"}, {"namespace", "erp"}, {"uid", "t-uid"}, {"generation", 1},
                                    {"resourceVersion", "1"}}},
                      {"spec", spec}});
  }

  kube::Result Reconcile() { return reconciler->Reconcile({"erp", "acme"}, {}); }
  json Tenant() { return *client->StoreFor(api::kTenants)->Get("erp/acme"); }
  std::optional<json> Object(const kube::Resource& r, const std::string& name) {
    auto o = client->StoreFor(r)->Get("erp/" + name);
    return o ? std::optional<json>(*o) : std::nullopt;
  }
  std::string Condition(const std::string& type, std::string* reason = nullptr, std::string* message = nullptr) {
    const json t = Tenant();  // keep the object alive while iterating
    for (const auto& c : t["status"]["conditions"]) {
      if (c["type"] == type) {
        if (reason) *reason = c["reason"];
        if (message) *message = c["message"];
        return c["status"];
      }
    }
    return "absent";
  }
  std::map<std::string, std::string> DbSecret() {
    return specs::DecodeSecretData(*Object(kube::resources::kSecrets, "acme-db"));
  }
  void EditTenant(const std::function<void(json&)>& f) {
    json t = Tenant();
    f(t);
    t["metadata"]["generation"] = t["metadata"]["generation"].get<long long>() + 1;
    client->StoreFor(api::kTenants)->Upsert(t);
  }
};

}  // namespace

TEST_CASE("First reconcile provisions everything in order and reports Ready", "[tenant]") {
  Harness h;
  auto result = h.Reconcile();
  CHECK(result.ok());
  json t = h.Tenant();
  CHECK(kube::HasFinalizer(t, "tenancy.erp.dev/cleanup"));
  CHECK(h.Condition("Ready") == "True");
  CHECK(h.Condition("Reconciling") == "False");
  CHECK(h.Condition("Stalled") == "False");
  for (const char* part : {"DatabaseReady", "CredentialsReady", "SchemaReady", "ApiReady"}) CHECK(h.Condition(part) == "True");
  CHECK(t["status"]["observedGeneration"] == 1);
  CHECK(t["status"]["database"] == json({{"server", "main"}, {"name", "erp_tenant_acme"},
                                         {"schemaVersion", migrations::Embedded().latest()}}));
  CHECK(t["status"]["credentials"]["secretName"] == "acme-db");
  CHECK(t["status"]["credentials"]["activeRole"] == "erp_tenant_acme_a");

  // PostgreSQL side: roles, database, grants, comment, schema, first admin.
  REQUIRE(h.db->roles.count("erp_tenant_acme_owner"));
  CHECK(h.db->roles["erp_tenant_acme_a"].member);
  CHECK(h.db->roles["erp_tenant_acme_b"].member);
  CHECK(h.db->roles["erp_tenant_acme_b"].verifier.empty());  // inactive role has no password
  const auto& d = h.db->databases.at("erp_tenant_acme");
  CHECK(d.owner == "erp_tenant_acme_owner");
  CHECK(d.connlimit == 50);
  CHECK_FALSE(d.public_privileges);
  CHECK(d.comment == "tenant-operator: tenant=erp/acme uid=t-uid");
  CHECK(d.schema_owner == "erp_tenant_acme_owner");
  CHECK_FALSE(d.public_schema_privileges);
  CHECK(d.schema_version == migrations::Embedded().latest());
  CHECK(d.users == 1);
  // Ordering: roles before database, password before the Secret that carries it.
  auto pos = [&](const std::string& a) {
    return std::find(h.db->executed.begin(), h.db->executed.end(), a) - h.db->executed.begin();
  };
  CHECK(pos("CreateOwnerRole") < pos("CreateDatabase"));
  CHECK(pos("CreateDatabase") < pos("SetPassword"));
  CHECK(pos("Migrate") < pos("SeedFirstAdmin"));

  // The Secret's password is the one set on the active role.
  auto secret = h.DbSecret();
  CHECK(secret["username"] == "erp_tenant_acme_a");
  CHECK(secret["password"].size() == 43);
  CHECK(h.db->PasswordOf("erp_tenant_acme_a") == secret["password"]);
  CHECK(secret["ca.crt"] == "CA-PEM");
  CHECK(secret["host"] == "pg.db.svc");
  // Workload exists, with the credentials version on the pod template.
  auto dep = h.Object(kube::resources::kDeployments, "acme-api");
  REQUIRE(dep);
  CHECK((*dep)["spec"]["template"]["metadata"]["annotations"]["tenancy.erp.dev/credentials-version"] ==
        specs::CredentialsVersion(secret["username"], secret["password"]));
  CHECK(h.Object(kube::resources::kServices, "acme-api"));
  CHECK(h.Object(kube::resources::kNetworkPolicies, "acme-api"));
  CHECK(h.Object(kube::resources::kPodDisruptionBudgets, "acme-api"));
  CHECK_FALSE(h.Object(kube::resources::kHorizontalPodAutoscalers, "acme-api"));
  CHECK(h.Object(kube::resources::kSecrets, "acme-api"));
  CHECK(specs::DecodeSecretData(*h.Object(kube::resources::kSecrets, "acme-admin"))["username"] == "admin");
  CHECK(h.events->Has("DatabaseCreated"));
  CHECK(h.events->Has("SchemaMigrated"));
  CHECK(h.events->Has("AdminSeeded"));
}

TEST_CASE("A second reconcile of an unchanged Tenant makes no API write and no SQL write", "[tenant]") {
  Harness h;
  REQUIRE(h.Reconcile().ok());
  REQUIRE(h.Condition("Ready") == "True");
  const int writes = h.client->writes;
  const auto executed = h.db->executed.size();
  const int gets = h.client->gets;
  REQUIRE(writes > 0);
  const int queries = h.db->queries;
  for (int i = 0; i < 3; ++i) CHECK(h.Reconcile().ok());
  CHECK(h.client->writes == writes);
  CHECK(h.db->executed.size() == executed);
  CHECK(h.client->gets == gets);  // everything comes from the caches
  // One SQL round trip per reconcile (the database-side observation); the schema check
  // (a tenant-database connection) waits for the recheck interval.
  CHECK(h.db->queries - queries == 3);
}

TEST_CASE("A new tenant costs few API writes and SQL round trips", "[tenant]") {
  Harness h;
  REQUIRE(h.Reconcile().ok());
  // finalizer, one status write with placement, 3 Secrets, Deployment, Service,
  // NetworkPolicy, PDB, the final status write.
  CHECK(h.client->writes == 10);
  CHECK(h.events->reasons == std::vector<std::string>{"Placed", "DatabaseCreated", "CredentialsCreated", "SchemaMigrated",
                                                      "AdminSeeded", "Created"});
}

TEST_CASE("The schema is re-verified after the recheck interval (each resync)", "[tenant]") {
  Harness h(json{{"tenantId", "acme"}}, [](controller::TenantReconcilerOptions& o) {
    o.schema_recheck = std::chrono::minutes(8);
  });
  REQUIRE(h.Reconcile().ok());
  auto& d = h.db->databases.at("erp_tenant_acme");
  d.public_schema_privileges = true;  // drift inside the tenant database
  d.users = 0;                        // every user deleted
  h.now += std::chrono::minutes(5);
  REQUIRE(h.Reconcile().ok());
  CHECK(d.public_schema_privileges);  // not looked at yet
  h.now += std::chrono::minutes(4);   // past the recheck interval
  REQUIRE(h.Reconcile().ok());
  CHECK_FALSE(d.public_schema_privileges);
  CHECK(d.users == 1);
  CHECK(h.Condition("Ready") == "True");
}

TEST_CASE("Database drift of roles is repaired: NOLOGIN owner, lost membership, missing owner role", "[tenant]") {
  Harness h;
  REQUIRE(h.Reconcile().ok());
  h.db->roles["erp_tenant_acme_b"].member = false;
  h.db->executed.clear();
  REQUIRE(h.Reconcile().ok());
  CHECK(h.db->roles["erp_tenant_acme_b"].member);
  CHECK(h.db->executed == std::vector<std::string>{"GrantOwnerRole"});
  CHECK(h.events->Has("DatabaseRepaired"));
}

TEST_CASE("First admin hashed off the worker: the tenant waits, is re-queued and then seeded", "[tenant]") {
  std::mutex mu;
  std::condition_variable cv;
  std::vector<std::string> enqueued;
  Harness h(json{{"tenantId", "acme"}}, [&](controller::TenantReconcilerOptions& o) {
    o.admin_hash_threads = 1;
    o.enqueue = [&](const kube::Request& r) {
      std::lock_guard lock(mu);
      enqueued.push_back(r.Key());
      cv.notify_all();
    };
  });
  auto first = h.Reconcile();
  // Everything else is provisioned meanwhile; only the admin is missing.
  REQUIRE(h.Object(kube::resources::kDeployments, "acme-api"));
  {
    std::unique_lock lock(mu);
    REQUIRE(cv.wait_for(lock, std::chrono::seconds(30), [&] { return !enqueued.empty(); }));
    CHECK(enqueued.front() == "erp/acme");
  }
  if (h.db->databases.at("erp_tenant_acme").users == 0) {
    std::string reason;
    CHECK(first.kind() == kube::Result::Kind::kRequeueAfter);
    CHECK(h.Condition("SchemaReady", &reason) == "False");
    CHECK(reason == "SeedingAdmin");
    CHECK(h.Condition("Ready") == "False");
  }
  REQUIRE(h.Reconcile().ok());
  CHECK(h.db->databases.at("erp_tenant_acme").users == 1);
  CHECK(h.Condition("Ready") == "True");
  CHECK(h.Condition("SchemaReady") == "True");
}

TEST_CASE("A generated first-admin password is hashed at the generated cost", "[tenant]") {
  {
    Harness h;
    REQUIRE(h.Reconcile().ok());
    const auto& hashes = h.db->databases.at("erp_tenant_acme").user_hashes;
    REQUIRE(hashes.size() == 1);
    CHECK(hashes[0].rfind("$2b$05$", 0) == 0);
    CHECK(specs::DecodeSecretData(*h.Object(kube::resources::kSecrets, "acme-admin"))["password"].size() == 32);
  }
}

TEST_CASE("A first-admin password chosen by the admin is hashed at the full cost", "[tenant]") {
  Harness h;
  // The admin put their own password into <tenant>-admin before the tenant was provisioned.
  h.client->StoreFor(kube::resources::kSecrets)
      ->Upsert(json{{"apiVersion", "v1"},
                    {"kind", "Secret"},
                    {"metadata", {{"name", "acme-admin"}, {"namespace", "erp"}, {"uid", "s-uid-admin"}, {"resourceVersion", "1"}}},
                    {"data",
                     {{"username", specs::Base64Encode("owner")},
                      {"password", specs::Base64Encode("chosen-by-a-human-1")}}}});
  REQUIRE(h.Reconcile().ok());
  const auto& hashes = h.db->databases.at("erp_tenant_acme").user_hashes;
  REQUIRE(hashes.size() == 1);
  CHECK(hashes[0].rfind("$2b$04$", 0) == 0);  // opts.bcrypt_cost, not the generated cost (5)
  CHECK(specs::DecodeSecretData(*h.Object(kube::resources::kSecrets, "acme-admin"))["password"] ==
        "chosen-by-a-human-1");
}

TEST_CASE("A generated password's hash job keeps its cost when the next reconcile reads it from the Secret",
          "[tenant]") {
  std::mutex mu;
  std::condition_variable cv;
  int enqueued = 0;
  Harness h(json{{"tenantId", "acme"}}, [&](controller::TenantReconcilerOptions& o) {
    o.admin_hash_threads = 1;
    o.enqueue = [&](const kube::Request&) {
      std::lock_guard lock(mu);
      ++enqueued;
      cv.notify_all();
    };
  });
  h.Reconcile();
  {
    std::unique_lock lock(mu);
    REQUIRE(cv.wait_for(lock, std::chrono::seconds(30), [&] { return enqueued > 0; }));
  }
  REQUIRE(h.Reconcile().ok());
  const auto& hashes = h.db->databases.at("erp_tenant_acme").user_hashes;
  REQUIRE(hashes.size() == 1);
  CHECK(hashes[0].rfind("$2b$05$", 0) == 0);
}

TEST_CASE("Provisioning slots: a new tenant waits (Queued) while others are provisioned, then follows", "[tenant]") {
  std::mutex mu;
  std::condition_variable cv;
  std::vector<std::string> enqueued;
  Harness h(json{{"tenantId", "acme"}}, [&](controller::TenantReconcilerOptions& o) {
    o.max_provisioning = 1;
    o.admin_hash_threads = 1;
    o.generated_admin_bcrypt_cost = 14;  // ~1 s: acme's first reconcile ends long before its hash
    o.enqueue = [&](const kube::Request& r) {
      std::lock_guard lock(mu);
      enqueued.push_back(r.Key());
      cv.notify_all();
    };
  });
  h.client->StoreFor(api::kTenants)
      ->Upsert(json{{"apiVersion", "tenancy.erp.dev/v1alpha1"},
                    {"kind", "Tenant"},
                    {"metadata", {{"name", "beta"}, {"namespace", "erp"}, {"uid", "t-uid-2"}, {"generation", 1},
                                  {"resourceVersion", "1"}}},
                    {"spec", {{"tenantId", "beta"}}}});
  auto beta = [&] { return *h.client->StoreFor(api::kTenants)->Get("erp/beta"); };
  auto condition = [](const json& t, const std::string& type) {
    for (const auto& c : t["status"]["conditions"]) {
      if (c["type"] == type) return c["reason"].get<std::string>();
    }
    return std::string("absent");
  };

  // acme takes the only slot and keeps it while its first admin's hash is made.
  h.Reconcile();
  REQUIRE(h.db->databases.at("erp_tenant_acme").users == 0);
  // beta waits: placed and reported (first sight), nothing created in PostgreSQL yet.
  auto queued = h.reconciler->Reconcile({"erp", "beta"}, {});
  CHECK(queued.kind() == kube::Result::Kind::kRequeueAfter);
  CHECK(condition(beta(), "Ready") == "Queued");
  CHECK(beta()["status"]["database"]["server"] == "main");
  CHECK(beta()["status"]["observedGeneration"] == 1);
  CHECK_FALSE(h.db->databases.count("erp_tenant_beta"));
  // Waiting again writes nothing.
  const int writes = h.client->writes;
  h.reconciler->Reconcile({"erp", "beta"}, {});
  CHECK(h.client->writes == writes);

  // The hash is ready: acme is re-queued, seeded, gives its slot back, and beta is re-queued.
  {
    std::unique_lock lock(mu);
    REQUIRE(cv.wait_for(lock, std::chrono::seconds(60), [&] { return !enqueued.empty(); }));
    CHECK(enqueued == std::vector<std::string>{"erp/acme"});
    enqueued.clear();
  }
  REQUIRE(h.Reconcile().ok());
  CHECK(h.Condition("Ready") == "True");
  {
    std::lock_guard lock(mu);
    CHECK(enqueued == std::vector<std::string>{"erp/beta"});
  }
  h.reconciler->Reconcile({"erp", "beta"}, {});
  CHECK(h.db->databases.count("erp_tenant_beta"));
  CHECK(condition(beta(), "Ready") != "Queued");
}

TEST_CASE("Non-superuser admin (CREATEDB, CREATEROLE) is made a member of the tenant roles", "[tenant]") {
  Harness h(json{{"tenantId", "acme"}, {"database", {{"deletionPolicy", "Delete"}}}});
  h.db->admin_superuser = false;
  REQUIRE(h.Reconcile().ok());
  CHECK(h.Condition("Ready") == "True");
  CHECK(h.db->admin_member_of ==
        std::set<std::string>{"erp_tenant_acme_owner", "erp_tenant_acme_a", "erp_tenant_acme_b"});
  auto pos = [&](const std::string& a) {
    return std::find(h.db->executed.begin(), h.db->executed.end(), a) - h.db->executed.begin();
  };
  CHECK(pos("GrantRoleToAdmin") < pos("CreateDatabase"));
  // Unchanged: no writes. Membership revoked behind our back: granted again.
  auto executed = h.db->executed.size();
  REQUIRE(h.Reconcile().ok());
  CHECK(h.db->executed.size() == executed);
  h.db->admin_member_of.erase("erp_tenant_acme_owner");
  REQUIRE(h.Reconcile().ok());
  CHECK(h.db->admin_member_of.count("erp_tenant_acme_owner"));
  // Deletion works with the same admin.
  h.db->admin_member_of.erase("erp_tenant_acme_b");
  h.db->executed.clear();
  h.EditTenant([](json& t) { t["metadata"]["deletionTimestamp"] = "2027-01-15T08:00:00Z"; });
  CHECK(h.Reconcile().ok());
  REQUIRE_FALSE(h.db->executed.empty());
  CHECK(h.db->executed.front() == "GrantRoleToAdmin");  // b's sessions can be ended, its objects reassigned
  CHECK(h.db->databases.empty());
  CHECK(h.db->roles.empty());
}

TEST_CASE("Periodic resync repairs database drift", "[tenant]") {
  Harness h;
  REQUIRE(h.Reconcile().ok());
  auto& d = h.db->databases.at("erp_tenant_acme");
  d.connlimit = 3;
  d.comment = "edited";
  d.public_privileges = true;
  h.db->roles.erase("erp_tenant_acme_a");  // the active login role
  const std::string old_password = h.DbSecret()["password"];
  h.db->executed.clear();
  REQUIRE(h.Reconcile().ok());
  CHECK(d.connlimit == 50);
  CHECK(d.comment == "tenant-operator: tenant=erp/acme uid=t-uid");
  CHECK_FALSE(d.public_privileges);
  REQUIRE(h.db->roles.count("erp_tenant_acme_a"));
  CHECK(h.db->roles["erp_tenant_acme_a"].member);
  // The recreated role got a fresh password and the Secret carries it.
  auto secret = h.DbSecret();
  CHECK(secret["password"] != old_password);
  CHECK(h.db->PasswordOf("erp_tenant_acme_a") == secret["password"]);
  CHECK(h.events->Has("DatabaseRepaired"));
  CHECK(h.Condition("Ready") == "True");
}

TEST_CASE("Deleted or edited Kubernetes objects are restored", "[tenant]") {
  Harness h;
  REQUIRE(h.Reconcile().ok());
  const auto first_secret = h.DbSecret();
  // Someone deletes <tenant>-db: a fresh password is set and the Secret recreated.
  h.client->StoreFor(kube::resources::kSecrets)->Remove("erp/acme-db");
  REQUIRE(h.Reconcile().ok());
  auto secret = h.DbSecret();
  CHECK(secret["password"] != first_secret.at("password"));
  CHECK(h.db->PasswordOf(secret["username"]) == secret["password"]);
  // Pods roll onto the new credentials.
  auto dep = *h.Object(kube::resources::kDeployments, "acme-api");
  CHECK(dep["spec"]["template"]["metadata"]["annotations"]["tenancy.erp.dev/credentials-version"] ==
        specs::CredentialsVersion(secret["username"], secret["password"]));
  // An edited managed key is put back without changing the password.
  json s = *h.Object(kube::resources::kSecrets, "acme-db");
  s["data"]["host"] = specs::Base64Encode("evil.example");
  s["data"].erase("uri");
  h.client->StoreFor(kube::resources::kSecrets)->Upsert(s);
  REQUIRE(h.Reconcile().ok());
  CHECK(h.DbSecret() == secret);
  // Deployment deleted -> recreated; a managed field edited -> restored.
  h.client->StoreFor(kube::resources::kDeployments)->Remove("erp/acme-api");
  REQUIRE(h.Reconcile().ok());
  dep = *h.Object(kube::resources::kDeployments, "acme-api");
  dep["spec"]["template"]["spec"]["containers"][0]["image"] = "evil:latest";
  h.client->StoreFor(kube::resources::kDeployments)->Upsert(dep);
  REQUIRE(h.Reconcile().ok());
  CHECK((*h.Object(kube::resources::kDeployments, "acme-api"))["spec"]["template"]["spec"]["containers"][0]["image"] ==
        "tenant-api:test");
}

TEST_CASE("Spec changes reach the workload and the database", "[tenant]") {
  Harness h;
  REQUIRE(h.Reconcile().ok());
  h.EditTenant([](json& t) {
    t["spec"]["api"] = {{"replicas", 1}, {"image", "tenant-api:2"}, {"autoscaling", nullptr}};
    t["spec"]["database"] = {{"connectionLimit", 20}};
  });
  REQUIRE(h.Reconcile().ok());
  auto dep = *h.Object(kube::resources::kDeployments, "acme-api");
  CHECK(dep["spec"]["replicas"] == 1);
  CHECK(dep["spec"]["template"]["spec"]["containers"][0]["image"] == "tenant-api:2");
  CHECK_FALSE(h.Object(kube::resources::kPodDisruptionBudgets, "acme-api"));  // 1 replica: PDB removed
  CHECK(h.db->databases.at("erp_tenant_acme").connlimit == 20);
  h.EditTenant([](json& t) { t["spec"]["api"] = {{"autoscaling", {{"minReplicas", 2}, {"maxReplicas", 5}}}}; });
  REQUIRE(h.Reconcile().ok());
  CHECK(h.Object(kube::resources::kHorizontalPodAutoscalers, "acme-api"));
}

TEST_CASE("suspend stops every change but keeps reporting", "[tenant]") {
  Harness h(json{{"tenantId", "acme"}, {"suspend", true}});
  h.Reconcile();
  CHECK(h.db->executed.empty());
  CHECK_FALSE(h.Object(kube::resources::kSecrets, "acme-db"));
  std::string reason;
  CHECK(h.Condition("Reconciling", &reason) == "False");
  CHECK(reason == "Suspended");
  CHECK(h.Condition("Ready") == "Unknown");
}

TEST_CASE("An unreachable database server gives an actionable condition and a backoff", "[tenant]") {
  Harness h;
  h.db->down = true;
  auto r1 = h.Reconcile();
  CHECK(r1.kind() == kube::Result::Kind::kRequeueAfter);
  std::string reason, message;
  CHECK(h.Condition("DatabaseReady", &reason, &message) == "False");
  CHECK(reason == "DatabaseUnreachable");
  CHECK_THAT(message, Catch::Contains("could not connect to pg.db.svc:5432") && Catch::Contains("retrying in 5s"));
  CHECK(h.Condition("Ready") == "False");
  CHECK(h.Condition("Stalled") == "False");
  auto r2 = h.Reconcile();
  CHECK(r2.requeue_after() > r1.requeue_after());  // exponential
  h.db->down = false;
  CHECK(h.Reconcile().ok());
  CHECK(h.Condition("Ready") == "True");
}

TEST_CASE("No DatabaseServer: NoDatabaseServer, not Stalled; missing serverRef reported", "[tenant]") {
  Harness h(json{{"tenantId", "acme"}, {"database", {{"serverSelector", {{"matchLabels", {{"region", "us"}}}}}}}});
  h.Reconcile();
  std::string reason, message;
  CHECK(h.Condition("Ready", &reason, &message) == "False");
  CHECK(reason == "NoDatabaseServer");
  CHECK(h.Condition("Stalled") == "False");
  CHECK(h.db->executed.empty());
  Harness h2(json{{"tenantId", "acme"}, {"database", {{"serverRef", "nope"}}}});
  h2.Reconcile();
  CHECK(h2.Condition("Ready", &reason, &message) == "False");
  CHECK(reason == "DatabaseServerNotFound");
  CHECK_THAT(message, Catch::Contains("\"nope\""));
}

TEST_CASE("Migration checksum mismatch and blocked downgrade stall the tenant", "[tenant]") {
  Harness h;
  REQUIRE(h.Reconcile().ok());
  h.db->databases.at("erp_tenant_acme").mismatch = true;
  h.EditTenant([](json& t) { t["spec"]["database"] = {{"connectionLimit", 49}}; });
  h.db->executed.clear();
  auto r = h.Reconcile();
  CHECK(r.kind() == kube::Result::Kind::kTerminal);
  std::string reason;
  CHECK(h.Condition("Stalled", &reason) == "True");
  CHECK(reason == "MigrationChecksumMismatch");
  CHECK(h.Condition("SchemaReady") == "False");
  CHECK(std::count(h.db->executed.begin(), h.db->executed.end(), "Migrate") == 0);

  h.db->databases.at("erp_tenant_acme").mismatch = false;
  h.EditTenant([](json& t) { t["spec"]["database"] = {{"schemaVersion", 1}}; });
  r = h.Reconcile();
  CHECK(r.kind() == kube::Result::Kind::kTerminal);
  CHECK(h.Condition("Stalled", &reason) == "True");
  CHECK(reason == "DowngradeNotAllowed");
  CHECK(h.db->databases.at("erp_tenant_acme").schema_version == migrations::Embedded().latest());
  h.EditTenant([](json& t) { t["spec"]["database"] = {{"schemaVersion", 1}, {"allowDowngrade", true}}; });
  CHECK(h.Reconcile().ok());
  CHECK(h.db->databases.at("erp_tenant_acme").schema_version == 1);
  CHECK(h.Condition("Stalled") == "False");
}

TEST_CASE("Deletion with Retain keeps the database and marks it orphaned", "[tenant]") {
  Harness h;
  REQUIRE(h.Reconcile().ok());
  h.EditTenant([](json& t) { t["metadata"]["deletionTimestamp"] = "2027-01-15T08:00:00Z"; });
  CHECK(h.Reconcile().ok());
  CHECK_FALSE(h.client->StoreFor(api::kTenants)->Get("erp/acme"));  // finalizer removed -> gone
  REQUIRE(h.db->databases.count("erp_tenant_acme"));
  CHECK_THAT(h.db->databases.at("erp_tenant_acme").comment, Catch::StartsWith("tenant-operator: orphaned tenant=erp/acme"));
  CHECK(h.db->roles.size() == 3);
  CHECK(h.events->Has("DatabaseRetained"));
}

TEST_CASE("Deletion with Delete drops database and roles; a failure is retried, never skipped", "[tenant]") {
  Harness h(json{{"tenantId", "acme"}, {"database", {{"deletionPolicy", "Delete"}}}});
  REQUIRE(h.Reconcile().ok());
  h.EditTenant([](json& t) { t["metadata"]["deletionTimestamp"] = "2027-01-15T08:00:00Z"; });
  h.db->down = true;
  auto r = h.Reconcile();
  CHECK(r.kind() == kube::Result::Kind::kRequeueAfter);
  REQUIRE(h.client->StoreFor(api::kTenants)->Get("erp/acme"));  // finalizer kept
  std::string reason;
  CHECK(h.Condition("Ready", &reason) == "False");
  CHECK(reason == "DatabaseUnreachable");
  h.db->down = false;
  CHECK(h.Reconcile().ok());
  CHECK_FALSE(h.client->StoreFor(api::kTenants)->Get("erp/acme"));
  CHECK(h.db->databases.empty());
  CHECK(h.db->roles.empty());
  CHECK(h.events->Has("DatabaseDeleted"));
}

TEST_CASE("Invalid spec is Stalled and not retried", "[tenant]") {
  Harness h(json{{"tenantId", "Bad-Id"}});
  auto r = h.Reconcile();
  CHECK(r.kind() == kube::Result::Kind::kTerminal);
  std::string reason;
  CHECK(h.Condition("Stalled", &reason) == "True");
  CHECK(reason == "InvalidSpec");
  CHECK(h.db->executed.empty());
}

TEST_CASE("A DatabaseServer that is not Ready is reported with its own reason", "[tenant]") {
  Harness h(json{{"tenantId", "acme"}, {"database", {{"serverRef", "main"}}}});
  h.registry->Put(controller::ServerEntry{"main", "pg.db.svc", 5432, "verify-full", "", "fp", h.db, false,
                                          "could not connect to pg.db.svc:5432: connection refused", "",
                                          "DatabaseUnreachable"});
  auto r = h.Reconcile();
  CHECK(r.kind() == kube::Result::Kind::kRequeueAfter);
  std::string reason, message;
  CHECK(h.Condition("Ready", &reason, &message) == "False");
  CHECK(reason == "DatabaseUnreachable");
  CHECK_THAT(message, Catch::Contains("connection refused") && Catch::Contains("retrying in 10s"));
  CHECK(h.Condition("Stalled") == "False");
  CHECK(h.db->executed.empty());
}
