#include <catch2/catch.hpp>

#include <map>

#include "runtime/config/config.hpp"
#include "runtime/config/redis_url.hpp"

using namespace tenant::api::config;

namespace {

using Env = std::map<std::string, std::string>;

LoadResult LoadEnv(const Env& env) {
  return Load([&env](const std::string& k) -> std::optional<std::string> {
    auto it = env.find(k);
    if (it == env.end()) return std::nullopt;
    return it->second;
  });
}

const std::string kKey = "k7Qz1vR9xPm3Lw8Yt2Nb6Hc4Jd0Fg5Sa";  // 32 bytes, no placeholder text

Env ValidProduction() {
  return {{"ENVIRONMENT", "production"},
          {"DATABASE_URL", "postgresql://app:pw@db.internal:5432/erp_tenant_acme?sslmode=verify-full"},
          {"JWT_SIGNING_KEY", kKey},
          {"REDIS_URL", "redis://:redispw@redis.internal:6379/0"},
          {"CORS_ORIGINS", "https://app.example.com"},
          {"TENANT_ID", "acme"}};
}

bool HasError(const LoadResult& r, const std::string& needle) {
  for (const auto& e : r.errors) {
    if (e.find(needle) != std::string::npos) return true;
  }
  return false;
}

}  // namespace

TEST_CASE("a minimal development config is valid with defaults", "[config]") {
  auto r = LoadEnv({{"DATABASE_URL", "postgresql://u:p@localhost/db"}, {"JWT_SIGNING_KEY", std::string(32, 'x')}});
  REQUIRE(r.ok());
  CHECK(r.config.port == 8080);
  CHECK(r.config.shutdown_grace_seconds == 20);
  CHECK(r.config.environment == Environment::kDevelopment);
  CHECK(r.config.rate_limit.fail_open);
  CHECK(r.config.rate_limit_redis_timeout_ms == 50);
}

TEST_CASE("a valid production config passes", "[config]") {
  auto r = LoadEnv(ValidProduction());
  INFO((r.errors.empty() ? "" : r.errors[0]));
  CHECK(r.ok());
  CHECK(r.config.Describe().find("pw") == std::string::npos);
  CHECK(r.config.Describe().find("redispw") == std::string::npos);
}

TEST_CASE("every problem is reported at once", "[config]") {
  auto r = LoadEnv({{"JWT_SIGNING_KEY", "short"}, {"PORT", "abc"}, {"DB_POOL_SIZE", "0"},
                    {"ENVIRONMENT", "prod"}, {"LOG_LEVEL", "loud"}, {"DEBUG", "maybe"},
                    {"RATE_LIMIT_FAIL_MODE", "sideways"}, {"REDIS_URL", "http://x"},
                    {"CORS_ORIGINS", "app.example.com"}, {"REQUEST_TIMEOUT_MS", "-1"}});
  CHECK(HasError(r, "DATABASE_URL: is required"));
  CHECK(HasError(r, "JWT_SIGNING_KEY: must be at least 32 bytes"));
  CHECK(HasError(r, "PORT: must be an integer"));
  CHECK(HasError(r, "DB_POOL_SIZE: must be between"));
  CHECK(HasError(r, "ENVIRONMENT:"));
  CHECK(HasError(r, "LOG_LEVEL:"));
  CHECK(HasError(r, "DEBUG:"));
  CHECK(HasError(r, "RATE_LIMIT_FAIL_MODE:"));
  CHECK(HasError(r, "REDIS_URL:"));
  CHECK(HasError(r, "CORS_ORIGINS:"));
  CHECK(HasError(r, "REQUEST_TIMEOUT_MS:"));
  CHECK(r.errors.size() == 11);
}

TEST_CASE("the signing key is never echoed in errors", "[config]") {
  auto r = LoadEnv({{"DATABASE_URL", "postgresql://h/db"}, {"JWT_SIGNING_KEY", "tooshort-secret-value"}});
  REQUIRE_FALSE(r.ok());
  for (const auto& e : r.errors) CHECK(e.find("tooshort-secret-value") == std::string::npos);
}

TEST_CASE("production refusals, each on its own", "[config][production]") {
  struct Case {
    const char* name;
    std::string key;
    std::string value;
    const char* expected;
  };
  std::vector<Case> cases = {
      {"debug on", "DEBUG", "true", "DEBUG: refused in production"},
      {"weak key", "JWT_SIGNING_KEY", std::string(40, 'a'), "JWT_SIGNING_KEY: refused in production"},
      {"placeholder key", "JWT_SIGNING_KEY", "changeme-changeme-changeme-changeme", "JWT_SIGNING_KEY: refused in production"},
      {"short key", "JWT_SIGNING_KEY", "abc", "JWT_SIGNING_KEY: must be at least 32 bytes"},
      {"missing key", "JWT_SIGNING_KEY", "", "JWT_SIGNING_KEY: is required"},
      {"sslmode disable", "DATABASE_URL", "postgresql://a:b@db.internal/x?sslmode=disable", "sslmode is \"disable\""},
      {"sslmode prefer (default)", "DATABASE_URL", "postgresql://a:b@db.internal/x", "sslmode is \"prefer\""},
      {"localhost host", "DATABASE_URL", "postgresql://a:b@localhost/x?sslmode=require", "database host \"localhost\" is local"},
      {"127.0.0.1 host", "DATABASE_URL", "host=127.0.0.1 dbname=x sslmode=require", "database host \"127.0.0.1\" is local"},
      {"cors wildcard", "CORS_ORIGINS", "*", "CORS_ORIGINS: refused in production"},
      {"no redis", "REDIS_URL", "", "REDIS_URL: refused in production: rate limiting needs Redis"},
      {"redis without password", "REDIS_URL", "redis://redis.internal:6379/0", "REDIS_URL: refused in production: the URL has no password"},
  };
  for (const auto& c : cases) {
    INFO(c.name);
    auto env = ValidProduction();
    if (c.value.empty()) {
      env.erase(c.key);
    } else {
      env[c.key] = c.value;
    }
    auto r = LoadEnv(env);
    CHECK_FALSE(r.ok());
    CHECK(HasError(r, c.expected));
    // the same setting outside production is accepted (except the universal key rules)
    env["ENVIRONMENT"] = "staging";
    auto staging = LoadEnv(env);
    if (std::string(c.expected).find("refused in production") != std::string::npos ||
        std::string(c.expected).find("sslmode") != std::string::npos ||
        std::string(c.expected).find("is local") != std::string::npos) {
      CHECK(staging.ok());
    }
  }
  auto env = ValidProduction();
  env["DB_SSL_MODE"] = "disable";
  CHECK(HasError(LoadEnv(env), "sslmode is \"disable\""));  // DB_SSL_MODE overrides the URL
}

TEST_CASE("rate limit settings and quotas parse", "[config]") {
  auto r = LoadEnv({{"DATABASE_URL", "postgresql://h/db"}, {"JWT_SIGNING_KEY", std::string(32, 'x')},
                    {"RATE_LIMIT_READ_PER_MINUTE", "100"}, {"RATE_LIMIT_LOGIN_PER_MINUTE", "3"},
                    {"RATE_LIMIT_LOGIN_BURST", "2"}, {"RATE_LIMIT_FAIL_MODE", "closed"}, {"RATE_LIMIT_ENABLED", "no"}});
  REQUIRE(r.ok());
  CHECK(r.config.rate_limit.read.limit == 100);
  CHECK(r.config.rate_limit.read.burst == 100);
  CHECK(r.config.rate_limit.login.limit == 3);
  CHECK(r.config.rate_limit.login.burst == 2);
  CHECK_FALSE(r.config.rate_limit.fail_open);
  CHECK_FALSE(r.config.rate_limit.enabled);
}

TEST_CASE("redis URLs parse", "[config][redis]") {
  auto u = ParseRedisUrl("redis://:p%40ss@10.1.2.3:6380/2");
  REQUIRE(u);
  CHECK(u->host == "10.1.2.3");
  CHECK(u->port == 6380);
  CHECK(u->password == "p@ss");
  CHECK(u->db == 2);
  auto acl = ParseRedisUrl("redis://user:pw@host");
  REQUIRE(acl);
  CHECK(acl->username == "user");
  CHECK(acl->port == 6379);
  CHECK_FALSE(ParseRedisUrl("rediss://h"));
  CHECK_FALSE(ParseRedisUrl("redis://h:99999"));
  CHECK_FALSE(ParseRedisUrl("redis://h/99"));
  std::string why;
  CHECK_FALSE(ParseRedisUrl("redis://:secretpw@", &why));
  CHECK(why.find("secretpw") == std::string::npos);
}
