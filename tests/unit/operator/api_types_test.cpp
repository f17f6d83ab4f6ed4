// Tenant / DatabaseServer <-> JSON: CRD defaults applied in code, bad shapes rejected
// with the field named, status round-trip.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "operator/api/database_server.hpp"
#include "operator/api/duration.hpp"
#include "operator/api/names.hpp"
#include "operator/api/tenant.hpp"

using nlohmann::json;
using namespace tenant::api;

namespace {
json MinimalTenant() {
  return json::parse(R"({"apiVersion":"tenancy.erp.dev/v1alpha1","kind":"Tenant",
    "metadata":{"name":"acme","namespace":"erp","uid":"u-1","generation":3},
    "spec":{"tenantId":"acme"}})");
}
}  // namespace

TEST_CASE("ParseTenant applies the CRD defaults when fields are missing", "[api]") {
  Tenant t = ParseTenant(MinimalTenant());
  CHECK(t.metadata.name == "acme");
  CHECK(t.metadata.namespace_ == "erp");
  CHECK(t.metadata.generation == 3);
  CHECK(t.spec.tenant_id == "acme");
  CHECK_FALSE(t.spec.database.server_ref);
  CHECK_FALSE(t.spec.database.schema_version);
  CHECK(t.spec.database.connection_limit == 50);
  CHECK(t.spec.database.deletion_policy == DeletionPolicy::kRetain);
  CHECK_FALSE(t.spec.database.allow_downgrade);
  CHECK(t.spec.api.replicas == 2);
  CHECK(t.spec.api.requests_per_minute == 600);
  CHECK_FALSE(t.spec.api.autoscaling);
  CHECK_FALSE(t.spec.credentials.rotation_period);
  CHECK_FALSE(t.spec.suspend);
  CHECK_FALSE(t.spec.prevent_deletion);
}

TEST_CASE("ParseTenant reads every spec field", "[api]") {
  json j = MinimalTenant();
  j["spec"] = json::parse(R"({"tenantId":"acme_2","displayName":"ACME Corp",
    "database":{"serverRef":"main","serverSelector":{"matchLabels":{"region":"eu"},
      "matchExpressions":[{"key":"tier","operator":"In","values":["a","b"]},{"key":"old","operator":"DoesNotExist"}]},
      "schemaVersion":3,"allowDowngrade":true,"connectionLimit":20,"deletionPolicy":"Delete"},
    "credentials":{"rotationPeriod":"720h"},
    "api":{"image":"reg/tenant-api:1.2","replicas":0,"resources":{"limits":{"cpu":"1"}},
      "autoscaling":{"minReplicas":3,"maxReplicas":9,"targetCPUUtilizationPercentage":55},
      "rateLimit":{"requestsPerMinute":100},"corsOrigins":["https://a.example","https://b.example"]},
    "preventDeletion":true,"suspend":true})");
  Tenant t = ParseTenant(j);
  CHECK(t.spec.tenant_id == "acme_2");
  CHECK(t.spec.display_name == "ACME Corp");
  CHECK(t.spec.database.server_ref == std::optional<std::string>("main"));
  REQUIRE(t.spec.database.server_selector);
  CHECK(t.spec.database.server_selector->ToSelectorString() == "region=eu,tier in (a,b),!old");
  CHECK(t.spec.database.schema_version == std::optional<int>(3));
  CHECK(t.spec.database.allow_downgrade);
  CHECK(t.spec.database.connection_limit == 20);
  CHECK(t.spec.database.deletion_policy == DeletionPolicy::kDelete);
  CHECK(t.spec.credentials.rotation_period == std::chrono::milliseconds(720LL * 3600 * 1000));
  CHECK(t.spec.api.image == std::optional<std::string>("reg/tenant-api:1.2"));
  CHECK(t.spec.api.replicas == 0);
  CHECK(t.spec.api.resources == json::parse(R"({"limits":{"cpu":"1"}})"));
  REQUIRE(t.spec.api.autoscaling);
  CHECK(t.spec.api.autoscaling->min_replicas == 3);
  CHECK(t.spec.api.autoscaling->max_replicas == 9);
  CHECK(t.spec.api.autoscaling->target_cpu_utilization == 55);
  CHECK(t.spec.api.requests_per_minute == 100);
  CHECK(t.spec.api.cors_origins == std::vector<std::string>{"https://a.example", "https://b.example"});
  CHECK(t.spec.prevent_deletion);
  CHECK(t.spec.suspend);
}

TEST_CASE("ParseTenant rejects bad shapes naming the field", "[api]") {
  auto fails_with = [](json j, const std::string& needle) {
    try {
      ParseTenant(j);
      FAIL("accepted: " << j.dump());
    } catch (const InvalidObject& e) {
      CHECK_THAT(e.what(), Catch::Contains(needle));
    }
  };
  json j = MinimalTenant();
  j["spec"]["tenantId"] = "Acme";
  fails_with(j, "spec.tenantId");
  j["spec"]["tenantId"] = "a234567890123456789012345678901234567890x";  // 41 chars
  fails_with(j, "spec.tenantId");
  j = MinimalTenant();
  j["spec"]["database"] = {{"deletionPolicy", "Destroy"}};
  fails_with(j, "deletionPolicy");
  j = MinimalTenant();
  j["spec"]["api"] = {{"replicas", "two"}};
  fails_with(j, "spec.api.replicas");
  j = MinimalTenant();
  j["spec"]["api"] = {{"autoscaling", {{"minReplicas", 5}, {"maxReplicas", 2}}}};
  fails_with(j, "minReplicas");
  j = MinimalTenant();
  j["spec"]["credentials"] = {{"rotationPeriod", "10m"}};
  fails_with(j, "rotationPeriod");
  j = MinimalTenant();
  j.erase("spec");
  fails_with(j, "spec is required");
}

TEST_CASE("Tenant status round-trips through JSON", "[api]") {
  TenantStatus s;
  s.observed_generation = 4;
  s.conditions.push_back(Condition{"Ready", "True", "Ready", "all good", 4, "2026-11-29T04:00:00Z"});
  s.database = {"main", "erp_tenant_acme", 3};
  s.credentials = {"acme-db", "erp_tenant_acme_a", "2026-11-29T04:00:00Z"};
  s.api = {"acme-api", "acme-api", 2, 1};
  json j = ToJson(s);
  CHECK(j["database"] == json::parse(R"({"server":"main","name":"erp_tenant_acme","schemaVersion":3})"));
  CHECK(j["api"]["readyReplicas"] == 1);
  CHECK(ParseTenantStatus(j) == s);
  // Empty parts are omitted rather than written as empty strings.
  CHECK_FALSE(ToJson(TenantStatus{}).contains("database"));
}

TEST_CASE("Names follow DESIGN.md", "[api]") {
  CHECK(DatabaseName("acme") == "erp_tenant_acme");
  CHECK(OwnerRole("acme") == "erp_tenant_acme_owner");
  CHECK(LoginRoleA("acme") == "erp_tenant_acme_a");
  CHECK(LoginRoleB("acme") == "erp_tenant_acme_b");
  CHECK(DbSecretName("acme") == "acme-db");
  CHECK(ApiSecretName("acme") == "acme-api");
  CHECK(AdminSecretName("acme") == "acme-admin");
  CHECK(ApiName("acme") == "acme-api");
  // The longest tenantId still fits PostgreSQL's 63-byte identifiers.
  CHECK(OwnerRole(std::string(40, 'a')).size() <= 63);
  CHECK(IsValidTenantId("a"));
  CHECK(IsValidTenantId("a_1"));
  CHECK_FALSE(IsValidTenantId("1a"));
  CHECK_FALSE(IsValidTenantId("a-b"));
  CHECK_FALSE(IsValidTenantId(""));
}

TEST_CASE("Go durations parse like time.ParseDuration", "[api]") {
  CHECK(ParseGoDuration("720h") == std::chrono::milliseconds(720LL * 3600 * 1000));
  CHECK(ParseGoDuration("1h30m") == std::chrono::milliseconds(5400 * 1000));
  CHECK(ParseGoDuration("1.5h") == std::chrono::milliseconds(5400 * 1000));
  CHECK(ParseGoDuration("250ms") == std::chrono::milliseconds(250));
  CHECK_FALSE(ParseGoDuration("10"));
  CHECK_FALSE(ParseGoDuration("h"));
  CHECK_FALSE(ParseGoDuration("5d"));
  CHECK(FormatDuration(std::chrono::seconds(40)) == "40s");
  CHECK(FormatDuration(std::chrono::seconds(125)) == "2m5s");
}

TEST_CASE("ParseDatabaseServer applies defaults and validates", "[api]") {
  json j = json::parse(R"({"metadata":{"name":"main","generation":1},
    "spec":{"host":"pg-main.db.svc","adminSecretRef":{"namespace":"db","name":"pg-admin"},
            "caSecretRef":{"namespace":"db","name":"pg-ca"}}})");
  DatabaseServer s = ParseDatabaseServer(j);
  CHECK(s.spec.host == "pg-main.db.svc");
  CHECK(s.spec.port == 5432);
  CHECK(s.spec.ssl_mode == "verify-full");
  REQUIRE(s.spec.ca_secret_ref);
  CHECK(s.spec.ca_secret_ref->key == "ca.crt");
  CHECK(s.spec.admin_secret_ref.name == "pg-admin");
  CHECK_FALSE(s.spec.max_tenants);
  j["spec"]["sslMode"] = "prefer";
  CHECK_THROWS_AS(ParseDatabaseServer(j), InvalidObject);
  j["spec"]["sslMode"] = "require";
  j["spec"].erase("adminSecretRef");
  CHECK_THROWS_AS(ParseDatabaseServer(j), InvalidObject);
}
