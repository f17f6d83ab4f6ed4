// Every pure builder of operator/specs against its exact expected object.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "operator/api/tenant.hpp"
#include "operator/specs/encoding.hpp"
#include "operator/specs/secrets.hpp"
#include "operator/specs/subset.hpp"
#include "operator/specs/workload.hpp"

using nlohmann::json;
using namespace tenant;

namespace {

api::Tenant Acme() {
  return api::ParseTenant(json::parse(R"({"metadata":{"name":"acme","namespace":"erp","uid":"uid-1","generation":1},
    "spec":{"tenantId":"acme"}})"));
}

const json kMeta = json::parse(R"({"name":"NAME","namespace":"erp",
  "labels":{"app.kubernetes.io/name":"tenant-api","app.kubernetes.io/instance":"acme",
            "app.kubernetes.io/managed-by":"tenant-operator","tenancy.erp.dev/tenant":"acme"},
  "ownerReferences":[{"apiVersion":"tenancy.erp.dev/v1alpha1","kind":"Tenant","name":"acme","uid":"uid-1",
                      "controller":true,"blockOwnerDeletion":true}]})");

json Meta(const std::string& name) {
  json m = kMeta;
  m["name"] = name;
  return m;
}

const json kSelector = json::parse(R"({"app.kubernetes.io/name":"tenant-api","app.kubernetes.io/instance":"acme",
  "tenancy.erp.dev/tenant":"acme"})");

specs::ApiSettings Settings() {
  specs::ApiSettings s;
  s.default_image = "tenant-api:9.9";
  s.redis_secret_name = "redis";
  return s;
}

}  // namespace

TEST_CASE("BuildDbSecret carries every key consumers expect", "[specs]") {
  specs::DbConnection c{"pg.db.svc", 5432, "erp_tenant_acme", "erp_tenant_acme_a", "pw-1_x", "verify-full", "PEM"};
  json s = specs::BuildDbSecret(Acme(), c, {"2026-11-29T04:00:00Z", "", "r1"});
  json expected_meta = Meta("acme-db");
  expected_meta["annotations"] = {{"tenancy.erp.dev/credentials-version", specs::CredentialsVersion("erp_tenant_acme_a", "pw-1_x")},
                                  {"tenancy.erp.dev/rotated-at", "2026-11-29T04:00:00Z"},
                                  {"tenancy.erp.dev/rotation-request", "r1"}};
  CHECK(s["metadata"] == expected_meta);
  CHECK(s["apiVersion"] == "v1");
  CHECK(s["kind"] == "Secret");
  CHECK(s["type"] == "Opaque");
  std::map<std::string, std::string> expected{
      {"host", "pg.db.svc"},
      {"port", "5432"},
      {"dbname", "erp_tenant_acme"},
      {"database", "erp_tenant_acme"},
      {"username", "erp_tenant_acme_a"},
      {"user", "erp_tenant_acme_a"},
      {"password", "pw-1_x"},
      {"sslmode", "verify-full"},
      {"uri", "postgresql://erp_tenant_acme_a:pw-1_x@pg.db.svc:5432/erp_tenant_acme?sslmode=verify-full"},
      {"jdbc-uri", "jdbc:postgresql://pg.db.svc:5432/erp_tenant_acme?user=erp_tenant_acme_a&password=pw-1_x&sslmode=verify-full"},
      {"pgpass", "pg.db.svc:5432:erp_tenant_acme:erp_tenant_acme_a:pw-1_x\n"},
      {"ca.crt", "PEM"},
      {"type", "postgresql"},
      {"provider", "tenant-operator"},
  };
  CHECK(specs::DecodeSecretData(s) == expected);
  CHECK(s["data"]["password"] == specs::Base64Encode("pw-1_x"));
  CHECK(specs::ParseCredentialsState(s) == specs::CredentialsState{"2026-11-29T04:00:00Z", "", "r1"});
}

TEST_CASE("BuildDbSecret escapes URI and pgpass parts and omits ca.crt without a CA", "[specs]") {
  specs::DbConnection c{"::1", 6432, "erp_tenant_acme", "u", "p:w@/\\", "require", ""};
  auto d = specs::DecodeSecretData(specs::BuildDbSecret(Acme(), c, {}));
  CHECK(d["uri"] == "postgresql://u:p%3Aw%40%2F%5C@[::1]:6432/erp_tenant_acme?sslmode=require");
  CHECK(d["pgpass"] == "\\:\\:1:6432:erp_tenant_acme:u:p\\:w@/\\\\\n");
  CHECK(d.count("ca.crt") == 0);
}

TEST_CASE("BuildApiSecret and BuildAdminSecret", "[specs]") {
  json api = specs::BuildApiSecret(Acme(), "k");
  CHECK(api == json{{"apiVersion", "v1"}, {"kind", "Secret"}, {"metadata", Meta("acme-api")}, {"type", "Opaque"},
                    {"data", {{"jwt-signing-key", "aw=="}}}});
  json admin = specs::BuildAdminSecret(Acme(), "admin", "secret");
  CHECK(admin == json{{"apiVersion", "v1"}, {"kind", "Secret"}, {"metadata", Meta("acme-admin")}, {"type", "Opaque"},
                      {"data", {{"username", "YWRtaW4="}, {"password", "c2VjcmV0"}}}});
}

TEST_CASE("BuildDeployment: restricted pod security, env from Secrets, probes, credentials annotation", "[specs]") {
  specs::DeploymentInputs in{"abc123", true, 5432};
  json d = specs::BuildDeployment(Acme(), Settings(), in);
  json expected = json::parse(R"({
    "apiVersion":"apps/v1","kind":"Deployment",
    "spec":{
      "replicas":2,
      "revisionHistoryLimit":3,
      "strategy":{"type":"RollingUpdate","rollingUpdate":{"maxUnavailable":0,"maxSurge":1}},
      "template":{
        "metadata":{"annotations":{"tenancy.erp.dev/credentials-version":"abc123"}},
        "spec":{
          "automountServiceAccountToken":false,
          "enableServiceLinks":false,
          "terminationGracePeriodSeconds":30,
          "securityContext":{"runAsNonRoot":true,"runAsUser":65532,"runAsGroup":65532,"fsGroup":65532,
                             "seccompProfile":{"type":"RuntimeDefault"}},
          "volumes":[{"name":"tmp","emptyDir":{}},
                     {"name":"db-ca","secret":{"secretName":"acme-db","items":[{"key":"ca.crt","path":"ca.crt"}]}}],
          "containers":[{
            "name":"api","image":"tenant-api:9.9","imagePullPolicy":"IfNotPresent",
            "ports":[{"name":"http","containerPort":8080,"protocol":"TCP"}],
            "env":[
              {"name":"DATABASE_URL","valueFrom":{"secretKeyRef":{"name":"acme-db","key":"uri"}}},
              {"name":"DB_SSL_MODE","valueFrom":{"secretKeyRef":{"name":"acme-db","key":"sslmode"}}},
              {"name":"PGSSLROOTCERT","value":"/etc/tenant-db/ca.crt"},
              {"name":"JWT_SIGNING_KEY","valueFrom":{"secretKeyRef":{"name":"acme-api","key":"jwt-signing-key"}}},
              {"name":"REDIS_URL","valueFrom":{"secretKeyRef":{"name":"redis","key":"url"}}},
              {"name":"TENANT_ID","value":"acme"},
              {"name":"ENVIRONMENT","value":"production"},
              {"name":"PORT","value":"8080"},
              {"name":"RATE_LIMIT_READ_PER_MINUTE","value":"600"},
              {"name":"RATE_LIMIT_WRITE_PER_MINUTE","value":"600"}],
            "resources":{"requests":{"cpu":"100m","memory":"128Mi"},"limits":{"memory":"256Mi"}},
            "livenessProbe":{"httpGet":{"path":"/health/live","port":"http"},"periodSeconds":10,"timeoutSeconds":2,"failureThreshold":3},
            "readinessProbe":{"httpGet":{"path":"/health/ready","port":"http"},"periodSeconds":5,"timeoutSeconds":2,"failureThreshold":3},
            "securityContext":{"allowPrivilegeEscalation":false,"readOnlyRootFilesystem":true,"runAsNonRoot":true,
                               "capabilities":{"drop":["ALL"]}},
            "volumeMounts":[{"name":"tmp","mountPath":"/tmp"},{"name":"db-ca","mountPath":"/etc/tenant-db","readOnly":true}]
          }]
        }
      }
    }})");
  expected["metadata"] = Meta("acme-api");
  expected["spec"]["selector"] = {{"matchLabels", kSelector}};
  expected["spec"]["template"]["metadata"]["labels"] = kMeta["labels"];
  CHECK(d == expected);
}

TEST_CASE("BuildDeployment follows spec.api and leaves replicas to an HPA", "[specs]") {
  api::Tenant t = Acme();
  t.spec.api.image = "reg/api:2";
  t.spec.api.replicas = 5;
  t.spec.api.resources = json::parse(R"({"limits":{"cpu":"2","memory":"1Gi"}})");
  t.spec.api.cors_origins = {"https://a.example", "https://b.example"};
  specs::ApiSettings s = Settings();
  s.sentry_secret_name = "sentry";
  json d = specs::BuildDeployment(t, s, {"v", false, 5432});
  const json& c = d["spec"]["template"]["spec"]["containers"][0];
  CHECK(d["spec"]["replicas"] == 5);
  CHECK(c["image"] == "reg/api:2");
  CHECK(c["resources"] == t.spec.api.resources);
  CHECK(c["env"].back() == json::parse(R"({"name":"SENTRY_DSN","valueFrom":{"secretKeyRef":{"name":"sentry","key":"dsn","optional":true}}})"));
  CHECK(c["env"][c["env"].size() - 2] == json{{"name", "CORS_ORIGINS"}, {"value", "https://a.example,https://b.example"}});
  // Without a CA there is no CA volume and no PGSSLROOTCERT.
  CHECK(d["spec"]["template"]["spec"]["volumes"].size() == 1);
  for (const auto& e : c["env"]) CHECK(e["name"] != "PGSSLROOTCERT");
  t.spec.api.autoscaling = api::AutoscalingSpec{2, 6, 80};
  CHECK_FALSE(specs::BuildDeployment(t, s, {"v", false, 5432})["spec"].contains("replicas"));
}

TEST_CASE("BuildService maps port 80 to the container's http port", "[specs]") {
  json expected = json::parse(R"({"apiVersion":"v1","kind":"Service","spec":{"type":"ClusterIP",
    "ports":[{"name":"http","port":80,"targetPort":"http","protocol":"TCP"}]}})");
  expected["metadata"] = Meta("acme-api");
  expected["spec"]["selector"] = kSelector;
  CHECK(specs::BuildService(Acme()) == expected);
}

TEST_CASE("BuildPodDisruptionBudget only for more than one replica", "[specs]") {
  api::Tenant t = Acme();
  auto pdb = specs::BuildPodDisruptionBudget(t);
  REQUIRE(pdb);
  json expected = json::parse(R"({"apiVersion":"policy/v1","kind":"PodDisruptionBudget","spec":{"maxUnavailable":1}})");
  expected["metadata"] = Meta("acme-api");
  expected["spec"]["selector"] = {{"matchLabels", kSelector}};
  CHECK(*pdb == expected);
  t.spec.api.replicas = 1;
  CHECK_FALSE(specs::BuildPodDisruptionBudget(t));
  t.spec.api.replicas = 0;
  CHECK_FALSE(specs::BuildPodDisruptionBudget(t));
  t.spec.api.autoscaling = api::AutoscalingSpec{2, 4, 70};  // the HPA minimum decides
  CHECK(specs::BuildPodDisruptionBudget(t));
}

TEST_CASE("BuildHorizontalPodAutoscaler is autoscaling/v2 on CPU", "[specs]") {
  api::Tenant t = Acme();
  CHECK_FALSE(specs::BuildHorizontalPodAutoscaler(t));
  t.spec.api.autoscaling = api::AutoscalingSpec{2, 10, 70};
  json expected = json::parse(R"({"apiVersion":"autoscaling/v2","kind":"HorizontalPodAutoscaler",
    "spec":{"scaleTargetRef":{"apiVersion":"apps/v1","kind":"Deployment","name":"acme-api"},
            "minReplicas":2,"maxReplicas":10,
            "metrics":[{"type":"Resource","resource":{"name":"cpu","target":{"type":"Utilization","averageUtilization":70}}}]}})");
  expected["metadata"] = Meta("acme-api");
  CHECK(*specs::BuildHorizontalPodAutoscaler(t) == expected);
}

TEST_CASE("BuildNetworkPolicy: ingress 8080; egress DNS, database, Redis", "[specs]") {
  json expected = json::parse(R"({"apiVersion":"networking.k8s.io/v1","kind":"NetworkPolicy",
    "spec":{"policyTypes":["Ingress","Egress"],
      "ingress":[{"ports":[{"port":8080,"protocol":"TCP"}]}],
      "egress":[{"ports":[{"port":53,"protocol":"UDP"},{"port":53,"protocol":"TCP"}]},
                {"ports":[{"port":6543,"protocol":"TCP"}]},
                {"ports":[{"port":6379,"protocol":"TCP"}]}]}})");
  expected["metadata"] = Meta("acme-api");
  expected["spec"]["podSelector"] = {{"matchLabels", kSelector}};
  CHECK(specs::BuildNetworkPolicy(Acme(), Settings(), {"v", false, 6543}) == expected);
  specs::ApiSettings no_redis = Settings();
  no_redis.redis_secret_name.clear();
  CHECK(specs::BuildNetworkPolicy(Acme(), no_redis, {"v", false, 6543})["spec"]["egress"].size() == 2);
}

TEST_CASE("IsSubset ignores server-added fields but not changed ones", "[specs]") {
  json desired = json::parse(R"({"a":1,"b":{"c":"x"},"l":[{"n":"1"}],"e":{}})");
  CHECK(specs::IsSubset(desired, json::parse(R"({"a":1,"b":{"c":"x","d":2},"l":[{"n":"1","z":0}],"extra":true})")));
  CHECK_FALSE(specs::IsSubset(desired, json::parse(R"({"a":2,"b":{"c":"x"},"l":[{"n":"1"}]})")));
  CHECK_FALSE(specs::IsSubset(desired, json::parse(R"({"a":1,"b":{"c":"x"},"l":[{"n":"1"},{"n":"2"}]})")));
  CHECK_FALSE(specs::IsSubset(desired, json::parse(R"({"a":1,"l":[{"n":"1"}]})")));
}

TEST_CASE("Encodings", "[specs]") {
  CHECK(specs::Base64Encode("") == "");
  CHECK(specs::Base64Encode("ab") == "YWI=");
  CHECK(specs::Base64Decode("YWI=") == std::optional<std::string>("ab"));
  CHECK(specs::Base64Decode("YWJj") == std::optional<std::string>("abc"));
  CHECK(specs::Base64Decode("YQ==") == std::optional<std::string>("a"));
  CHECK_FALSE(specs::Base64Decode("YW"));
  CHECK(specs::Sha256Hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(specs::PercentEncode("a b/~") == "a%20b%2F~");
}

TEST_CASE("NeedsApply sees owned keys that must disappear", "[specs]") {
  json desired = json::parse(R"({"kind":"Secret","metadata":{"annotations":{"tenancy.erp.dev/a":"1"}},"data":{"k":"dg=="}})");
  json same = desired;
  same["metadata"]["annotations"]["other.io/x"] = "kept";  // someone else's annotation: ignored
  CHECK_FALSE(specs::NeedsApply(desired, same));
  json stale = desired;
  stale["metadata"]["annotations"]["tenancy.erp.dev/retiring-role"] = "r";
  CHECK(specs::NeedsApply(desired, stale));
  json extra_key = desired;
  extra_key["data"]["ca.crt"] = "eA==";
  CHECK(specs::NeedsApply(desired, extra_key));
  json changed = desired;
  changed["data"]["k"] = "eA==";
  CHECK(specs::NeedsApply(desired, changed));
}
