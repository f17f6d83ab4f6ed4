#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "runtime/auth/base64url.hpp"
#include "runtime/auth/jwt.hpp"
#include "tests/integration/runtime/api_fixture.hpp"

using namespace tenant::test::api;
using nlohmann::json;
namespace auth = tenant::api::auth;

namespace {

HttpResult Login(const ApiHarness& h, const std::string& username, const std::string& password) {
  return h.Call("POST", "/api/v1/auth/token", "", {{"username", username}, {"password", password}});
}

void RequireProblem(const HttpResult& r, int status) {
  INFO(r.body);
  REQUIRE(r.status == status);
  CHECK(r.Header("content-type").rfind("application/problem+json", 0) == 0);
  auto body = r.Json();
  CHECK(body["status"] == status);
  CHECK(body.contains("request_id"));
  CHECK(body.contains("type"));
}

double MetricValue(const ApiHarness& h, const std::string& series) {
  auto r = Http(h.port(), "GET", "/metrics");
  auto pos = r.body.find(series + " ");
  if (pos == std::string::npos) return 0;
  return std::stod(r.body.substr(pos + series.size() + 1));
}

}  // namespace

TEST_CASE("login returns a valid access token and a refresh token", "[integration][auth]") {
  auto& h = ApiHarness::Shared();
  auto r = Login(h, "Manager-User", kPassword);  // usernames are case-insensitive
  INFO(r.body);
  REQUIRE(r.status == 200);
  auto body = r.Json();
  CHECK(body["token_type"] == "Bearer");
  CHECK(body["expires_in"] == 900);
  CHECK(body["refresh_expires_in"] == 30 * 24 * 3600);
  CHECK(body["role"] == "manager");
  auth::JwtCodec codec(kSigningKey, kTenant);
  auto verified = codec.Verify(body["access_token"].get<std::string>());
  REQUIRE(verified.ok());
  CHECK(verified.claims().subject == std::to_string(h.user("manager").id));
  CHECK(verified.claims().tenant == kTenant);
  // the token works against the API
  CHECK(h.Call("GET", "/api/v1/products", body["access_token"]).status == 200);
  // the refresh token is stored only as a hash
  auto conn = h.db().ConnectAsApp();
  const std::string refresh = body["refresh_token"];
  CHECK(conn.Exec("SELECT count(*) FROM refresh_tokens WHERE token_hash::text LIKE $1",
                  {"%" + refresh + "%"}).Int64(0, 0) == 0);
  CHECK(conn.Exec("SELECT count(*) FROM refresh_tokens WHERE token_hash = sha256(convert_to($1, 'UTF8'))",
                  {refresh}).Int64(0, 0) == 1);
}

TEST_CASE("wrong password and unknown user get the same 401", "[integration][auth]") {
  auto& h = ApiHarness::Shared();
  const double before = MetricValue(h, "auth_failures_total{reason=\"invalid_credentials\"}");
  auto wrong = Login(h, "clerk-user", "not-the-password-1");
  auto unknown = Login(h, "nobody-" + UniqueSuffix(), kPassword);
  RequireProblem(wrong, 401);
  RequireProblem(unknown, 401);
  CHECK(wrong.Json()["detail"] == unknown.Json()["detail"]);
  CHECK(wrong.Header("www-authenticate").rfind("Bearer", 0) == 0);
  CHECK(MetricValue(h, "auth_failures_total{reason=\"invalid_credentials\"}") == before + 2);
  // the password never appears in the audit log or the response
  CHECK(wrong.body.find("not-the-password-1") == std::string::npos);
}

TEST_CASE("refresh rotates tokens; reuse of a spent token revokes the family", "[integration][auth]") {
  auto& h = ApiHarness::Shared();
  auto login = Login(h, "clerk-user", kPassword);
  REQUIRE(login.status == 200);
  const std::string first = login.Json()["refresh_token"];

  auto rotated = h.Call("POST", "/api/v1/auth/refresh", "", {{"refresh_token", first}});
  INFO(rotated.body);
  REQUIRE(rotated.status == 200);
  const std::string second = rotated.Json()["refresh_token"];
  CHECK(second != first);
  CHECK(rotated.Json()["access_token"] != login.Json()["access_token"]);

  // the spent token comes back (stolen copy): 401 and the whole family dies
  auto reuse = h.Call("POST", "/api/v1/auth/refresh", "", {{"refresh_token", first}});
  RequireProblem(reuse, 401);
  auto after = h.Call("POST", "/api/v1/auth/refresh", "", {{"refresh_token", second}});
  RequireProblem(after, 401);

  auto conn = h.db().ConnectAsApp();
  CHECK(conn.Exec("SELECT count(*) FROM audit_log WHERE action = 'refresh_reuse_detected' AND user_id = $1",
                  {h.user("clerk").id}).Int64(0, 0) >= 1);
  // another login (another family) is unaffected
  auto other = Login(h, "clerk-user", kPassword);
  REQUIRE(other.status == 200);
  CHECK(h.Call("POST", "/api/v1/auth/refresh", "", {{"refresh_token", other.Json()["refresh_token"]}}).status == 200);
}

TEST_CASE("logout revokes the refresh token", "[integration][auth]") {
  auto& h = ApiHarness::Shared();
  auto login = Login(h, "admin-user", kPassword);
  REQUIRE(login.status == 200);
  const std::string refresh = login.Json()["refresh_token"];
  auto out = h.Call("POST", "/api/v1/auth/logout", "", {{"refresh_token", refresh}});
  CHECK(out.status == 204);
  RequireProblem(h.Call("POST", "/api/v1/auth/refresh", "", {{"refresh_token", refresh}}), 401);
  // unknown tokens: also 204, nothing revealed
  CHECK(h.Call("POST", "/api/v1/auth/logout", "", {{"refresh_token", "no-such-token"}}).status == 204);
  RequireProblem(h.Call("POST", "/api/v1/auth/refresh", "", {{"refresh_token", "no-such-token"}}), 401);
}

TEST_CASE("forged, expired and foreign tokens are refused over HTTP", "[integration][auth]") {
  auto& h = ApiHarness::Shared();
  const auto id = std::to_string(h.user("admin").id);
  auth::JwtCodec codec(kSigningKey, kTenant);
  const auto now = std::chrono::system_clock::now();
  const int64_t now_s = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
  const json claims = {{"sub", id}, {"role", "admin"}, {"tenant", kTenant}, {"iat", now_s},
                       {"exp", now_s + 600}, {"jti", "x"}};

  const std::string none = auth::Base64UrlEncode(R"({"alg":"none","typ":"JWT"})") + "." +
                           auth::Base64UrlEncode(claims.dump()) + ".";
  const std::string rs256 = codec.SignRaw(R"({"alg":"RS256","typ":"JWT"})", claims.dump());
  const std::string expired = codec.Issue(id, auth::Role::kAdmin, now - std::chrono::minutes(20));
  const std::string other_key = auth::JwtCodec("some-other-tenant-signing-key-0123456789", kTenant)
                                    .Issue(id, auth::Role::kAdmin);
  const std::string other_tenant = auth::JwtCodec(kSigningKey, "globex").Issue(id, auth::Role::kAdmin);
  std::string tampered = codec.Issue(std::to_string(h.user("clerk").id), auth::Role::kClerk);
  {
    const size_t d1 = tampered.find('.'), d2 = tampered.rfind('.');
    json c = json::parse(*auth::Base64UrlDecode(tampered.substr(d1 + 1, d2 - d1 - 1)));
    c["role"] = "admin";
    tampered = tampered.substr(0, d1 + 1) + auth::Base64UrlEncode(c.dump()) + tampered.substr(d2);
  }
  const double bad_alg_before = MetricValue(h, "auth_failures_total{reason=\"bad_algorithm\"}");
  for (const auto& [name, token] : std::vector<std::pair<std::string, std::string>>{
           {"none", none}, {"rs256", rs256}, {"expired", expired}, {"other key", other_key},
           {"other tenant", other_tenant}, {"tampered", tampered}, {"garbage", "abc.def.ghi"}}) {
    INFO(name);
    RequireProblem(h.Call("GET", "/api/v1/users", token), 401);
  }
  RequireProblem(h.Call("GET", "/api/v1/users", ""), 401);
  CHECK(MetricValue(h, "auth_failures_total{reason=\"bad_algorithm\"}") == bad_alg_before + 2);
  CHECK(MetricValue(h, "auth_failures_total{reason=\"wrong_tenant\"}") >= 1);
  CHECK(MetricValue(h, "auth_failures_total{reason=\"expired\"}") >= 1);
  CHECK(h.Call("GET", "/api/v1/users", codec.Issue(id, auth::Role::kAdmin)).status == 200);
}

TEST_CASE("roles: admin manages users, manager the catalogue, clerk orders and reads", "[integration][auth]") {
  auto& h = ApiHarness::Shared();
  const json product = {{"sku", "ROLE-" + UniqueSuffix()}, {"name", "x"}, {"unit_price_minor", 1}, {"currency", "EUR"}};
  const json customer = {{"name", "Role Test"}};
  const json user = {{"username", "u" + UniqueSuffix()}, {"password", "a-long-password-1"}, {"role", "clerk"}};

  CHECK(h.Call("POST", "/api/v1/products", h.Token("clerk"), product).status == 403);
  CHECK(h.Call("POST", "/api/v1/customers", h.Token("clerk"), customer).status == 403);
  CHECK(h.Call("GET", "/api/v1/users", h.Token("clerk")).status == 403);
  CHECK(h.Call("GET", "/api/v1/users", h.Token("manager")).status == 403);
  CHECK(h.Call("POST", "/api/v1/users", h.Token("manager"), user).status == 403);

  CHECK(h.Call("GET", "/api/v1/products", h.Token("clerk")).status == 200);
  CHECK(h.Call("GET", "/api/v1/customers", h.Token("clerk")).status == 200);
  CHECK(h.Call("GET", "/api/v1/orders", h.Token("clerk")).status == 200);
  CHECK(h.Call("POST", "/api/v1/customers", h.Token("manager"), customer).status == 201);
  CHECK(h.Call("POST", "/api/v1/products", h.Token("manager"), product).status == 201);
  auto created = h.Call("POST", "/api/v1/users", h.Token("admin"), user);
  INFO(created.body);
  REQUIRE(created.status == 201);
  CHECK(created.Json()["username"] == user["username"]);
  CHECK_FALSE(created.Json().contains("password_hash"));
}

TEST_CASE("users: deactivation ends sessions and blocks login; password change", "[integration][auth]") {
  auto& h = ApiHarness::Shared();
  const std::string name = "temp" + UniqueSuffix();
  auto created = h.Call("POST", "/api/v1/users", h.Token("admin"),
                        {{"username", name}, {"password", "first-password-1"}, {"role", "clerk"}});
  REQUIRE(created.status == 201);
  const auto id = created.Json()["id"].get<std::int64_t>();
  auto login = Login(h, name, "first-password-1");
  REQUIRE(login.status == 200);

  auto changed = h.Call("POST", "/api/v1/users/" + std::to_string(id) + "/password", h.Token("admin"),
                        {{"password", "second-password-2"}});
  CHECK(changed.status == 204);
  RequireProblem(Login(h, name, "first-password-1"), 401);
  RequireProblem(h.Call("POST", "/api/v1/auth/refresh", "", {{"refresh_token", login.Json()["refresh_token"]}}), 401);
  auto again = Login(h, name, "second-password-2");
  REQUIRE(again.status == 200);

  auto deact = h.Call("POST", "/api/v1/users/" + std::to_string(id) + "/deactivate", h.Token("admin"));
  REQUIRE(deact.status == 200);
  CHECK(deact.Json()["active"] == false);
  RequireProblem(Login(h, name, "second-password-2"), 401);
  RequireProblem(h.Call("POST", "/api/v1/auth/refresh", "", {{"refresh_token", again.Json()["refresh_token"]}}), 401);
  // an admin cannot lock themselves out
  RequireProblem(h.Call("POST", "/api/v1/users/" + std::to_string(h.user("admin").id) + "/deactivate",
                        h.Token("admin")), 409);
  // weak password: 422 naming the field
  auto weak = h.Call("POST", "/api/v1/users", h.Token("admin"),
                     {{"username", "weak" + UniqueSuffix()}, {"password", "short"}, {"role", "chief"}});
  RequireProblem(weak, 422);
  CHECK(weak.Json()["errors"].size() == 2);
}

TEST_CASE("login attempts are limited per username and IP before the password is checked", "[integration][auth][ratelimit]") {
  ApiHarness h(/*rate_limits=*/true);
  for (int i = 0; i < 3; ++i) {
    RequireProblem(Login(h, i % 2 ? "CLERK-user" : "clerk-user", "wrong-password-123"), 401);
  }
  // budget spent: even the right password is refused, case variants share the budget
  auto limited = Login(h, "Clerk-User", kPassword);
  RequireProblem(limited, 429);
  CHECK_FALSE(limited.Header("retry-after").empty());
  // another username from the same IP is not affected
  CHECK(Login(h, "manager-user", kPassword).status == 200);
}
