#include "runtime/config/config.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdlib>
#include <sstream>

#include "common/log/log.hpp"
#include "common/pg/conninfo.hpp"
#include "runtime/config/redis_url.hpp"

namespace tenant::api::config {

std::string_view EnvironmentName(Environment e) {
  switch (e) {
    case Environment::kDevelopment: return "development";
    case Environment::kStaging: return "staging";
    case Environment::kProduction: return "production";
  }
  return "development";
}

namespace {

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

std::string Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return std::string(s);
}

class Reader {
 public:
  Reader(const Lookup& lookup, std::vector<std::string>& errors) : lookup_(lookup), errors_(errors) {}

  std::optional<std::string> Raw(const std::string& name) {
    auto v = lookup_(name);
    if (v && Trim(*v).empty()) return std::nullopt;  // empty = unset
    return v;
  }

  void Int(const std::string& name, int& out, int min, int max) {
    auto v = Raw(name);
    if (!v) return;
    std::string t = Trim(*v);
    int n = 0;
    auto [p, ec] = std::from_chars(t.data(), t.data() + t.size(), n);
    if (ec != std::errc() || p != t.data() + t.size()) {
      errors_.push_back(name + ": must be an integer, got \"" + t + "\"");
      return;
    }
    if (n < min || n > max) {
      errors_.push_back(name + ": must be between " + std::to_string(min) + " and " +
                        std::to_string(max) + ", got " + std::to_string(n));
      return;
    }
    out = n;
  }

  void Bool(const std::string& name, bool& out) {
    auto v = Raw(name);
    if (!v) return;
    std::string t = Lower(Trim(*v));
    if (t == "1" || t == "true" || t == "yes" || t == "on") {
      out = true;
    } else if (t == "0" || t == "false" || t == "no" || t == "off") {
      out = false;
    } else {
      errors_.push_back(name + ": must be a boolean (true/false/1/0/yes/no/on/off), got \"" + t + "\"");
    }
  }

  void Quota(const std::string& prefix, ratelimit::Quota& q) {
    int limit = static_cast<int>(q.limit);
    Int(prefix + "_PER_MINUTE", limit, 1, 10'000'000);
    int burst = limit;
    Int(prefix + "_BURST", burst, 1, 10'000'000);
    q.limit = limit;
    q.burst = burst;
    q.period = std::chrono::minutes(1);
  }

 private:
  const Lookup& lookup_;
  std::vector<std::string>& errors_;
};

bool IsLoopbackHost(const std::string& host) {
  std::string h = Lower(host);
  return h == "localhost" || h == "127.0.0.1" || h == "::1" || h == "[::1]" ||
         h.rfind("127.", 0) == 0 || h.rfind("/", 0) == 0 /* unix socket directory */;
}

bool IsStrongKey(const std::string& key) {
  if (key.size() < 32) return false;
  // Refuse obviously weak keys: a single repeated character or well-known placeholders.
  if (std::all_of(key.begin(), key.end(), [&](char c) { return c == key[0]; })) return false;
  std::string l = Lower(key);
  for (const char* weak : {"changeme", "secret", "password", "example", "0123456789"}) {
    if (l.find(weak) != std::string::npos) return false;
  }
  return true;
}

}  // namespace

std::string Config::EffectiveSslMode() const {
  if (!db_ssl_mode.empty()) return db_ssl_mode;
  try {
    auto params = pg::ParseConnInfo(database_url);
    auto it = params.find("sslmode");
    if (it != params.end()) return it->second;
  } catch (const std::exception&) {
  }
  return "prefer";
}

std::string Config::DatabaseConnInfo() const {
  auto b = pg::ConnInfoBuilder::From(database_url);
  if (!db_ssl_mode.empty()) b.SslMode(db_ssl_mode);
  b.ApplicationName("tenant-api");
  b.Options("-c statement_timeout=" + std::to_string(db_statement_timeout_ms));
  return b.Build();
}

std::string Config::Describe() const {
  std::ostringstream out;
  out << "environment=" << EnvironmentName(environment) << " tenant=" << tenant_id
      << " port=" << port << " database=" << pg::RedactConnInfo(database_url)
      << " sslmode=" << EffectiveSslMode() << " pool=" << db_pool_size
      << " redis=" << (redis_url.empty() ? "none" : log::RedactUrl(redis_url))
      << " cors_origins=" << cors_origins.size() << " sentry=" << (sentry_dsn.empty() ? "off" : "on")
      << " rate_limit=" << (rate_limit.enabled ? "on" : "off");
  return out.str();
}

LoadResult Load(const Lookup& lookup) {
  LoadResult result;
  auto& c = result.config;
  auto& errors = result.errors;
  Reader r(lookup, errors);

  // ENVIRONMENT first: production rules depend on it.
  if (auto v = r.Raw("ENVIRONMENT")) {
    std::string e = Lower(Trim(*v));
    if (e == "development") c.environment = Environment::kDevelopment;
    else if (e == "staging") c.environment = Environment::kStaging;
    else if (e == "production") c.environment = Environment::kProduction;
    else errors.push_back("ENVIRONMENT: must be development, staging or production, got \"" + e + "\"");
  }
  const bool production = c.environment == Environment::kProduction;

  std::map<std::string, std::string> db_params;
  if (auto v = r.Raw("DATABASE_URL")) {
    c.database_url = Trim(*v);
    try {
      db_params = pg::ParseConnInfo(c.database_url);
    } catch (const std::exception&) {
      errors.push_back("DATABASE_URL: is not a valid libpq connection URI or conninfo");
    }
  } else {
    errors.push_back("DATABASE_URL: is required");
  }

  if (auto v = r.Raw("JWT_SIGNING_KEY")) {
    c.jwt_signing_key = *v;
    if (c.jwt_signing_key.size() < 32) {
      errors.push_back("JWT_SIGNING_KEY: must be at least 32 bytes, got " +
                       std::to_string(c.jwt_signing_key.size()));
    } else if (production && !IsStrongKey(c.jwt_signing_key)) {
      errors.push_back("JWT_SIGNING_KEY: refused in production: the key is weak (repeated character or placeholder text)");
    }
  } else {
    errors.push_back("JWT_SIGNING_KEY: is required (at least 32 bytes)");
  }

  if (auto v = r.Raw("DB_SSL_MODE")) {
    std::string m = Lower(Trim(*v));
    static const char* kModes[] = {"disable", "allow", "prefer", "require", "verify-ca", "verify-full"};
    if (std::find(std::begin(kModes), std::end(kModes), m) == std::end(kModes)) {
      errors.push_back("DB_SSL_MODE: must be one of disable, allow, prefer, require, verify-ca, verify-full; got \"" + m + "\"");
    } else {
      c.db_ssl_mode = m;
    }
  }
  r.Int("DB_POOL_SIZE", c.db_pool_size, 1, 200);
  r.Int("DB_STATEMENT_TIMEOUT_MS", c.db_statement_timeout_ms, 1, 600'000);
  r.Int("DB_ACQUIRE_TIMEOUT_MS", c.db_acquire_timeout_ms, 1, 600'000);

  std::optional<RedisUrl> redis;
  if (auto v = r.Raw("REDIS_URL")) {
    c.redis_url = Trim(*v);
    std::string why;
    redis = ParseRedisUrl(c.redis_url, &why);
    if (!redis) errors.push_back("REDIS_URL: " + why);
  }

  if (auto v = r.Raw("CORS_ORIGINS")) {
    std::stringstream ss(*v);
    std::string item;
    while (std::getline(ss, item, ',')) {
      item = Trim(item);
      if (item.empty()) continue;
      while (!item.empty() && item.back() == '/') item.pop_back();
      if (item != "*" && item.rfind("http://", 0) != 0 && item.rfind("https://", 0) != 0) {
        errors.push_back("CORS_ORIGINS: \"" + item + "\" is not an origin (scheme://host[:port]) or *");
        continue;
      }
      c.cors_origins.push_back(item);
    }
  }

  r.Bool("RATE_LIMIT_ENABLED", c.rate_limit.enabled);
  r.Quota("RATE_LIMIT_READ", c.rate_limit.read);
  r.Quota("RATE_LIMIT_WRITE", c.rate_limit.write);
  r.Quota("RATE_LIMIT_AUTH", c.rate_limit.auth);
  r.Quota("RATE_LIMIT_LOGIN", c.rate_limit.login);
  if (auto v = r.Raw("RATE_LIMIT_FAIL_MODE")) {
    std::string m = Lower(Trim(*v));
    if (m == "open") c.rate_limit.fail_open = true;
    else if (m == "closed") c.rate_limit.fail_open = false;
    else errors.push_back("RATE_LIMIT_FAIL_MODE: must be open or closed, got \"" + m + "\"");
  }
  r.Int("RATE_LIMIT_REDIS_TIMEOUT_MS", c.rate_limit_redis_timeout_ms, 1, 10'000);

  if (auto v = r.Raw("SENTRY_DSN")) {
    c.sentry_dsn = Trim(*v);
    if (c.sentry_dsn.rfind("http://", 0) != 0 && c.sentry_dsn.rfind("https://", 0) != 0) {
      errors.push_back("SENTRY_DSN: must be an http(s) DSN like https://<key>@host/<project>");
    }
  }
  if (auto v = r.Raw("SENTRY_RELEASE")) c.release = Trim(*v);
  if (c.release.empty()) c.release = std::string("tenant-api@") + TENANT_VERSION;

  if (auto v = r.Raw("LOG_LEVEL")) {
    std::string l = Lower(Trim(*v));
    if (!log::ParseLevel(l)) {
      errors.push_back("LOG_LEVEL: must be trace, debug, info, warn, error or off, got \"" + l + "\"");
    } else {
      c.log_level = l;
    }
  }
  if (auto v = r.Raw("BIND_ADDRESS")) c.bind_address = Trim(*v);
  r.Int("PORT", c.port, 0, 65535);
  r.Int("REQUEST_TIMEOUT_MS", c.request_timeout_ms, 1, 600'000);
  r.Int("SHUTDOWN_GRACE_SECONDS", c.shutdown_grace_seconds, 0, 3600);
  if (auto v = r.Raw("TENANT_ID")) {
    c.tenant_id = Trim(*v);
    bool ok = c.tenant_id.size() <= 63 &&
              std::all_of(c.tenant_id.begin(), c.tenant_id.end(), [](unsigned char ch) {
                return std::isalnum(ch) || ch == '-' || ch == '_';
              });
    if (!ok) errors.push_back("TENANT_ID: must be 1-63 characters of [A-Za-z0-9_-]");
  }
  r.Bool("DEBUG", c.debug);
  r.Int("IO_THREADS", c.io_threads, 0, 256);
  r.Int("WORKER_THREADS", c.worker_threads, 0, 1024);
  r.Int("HEADER_TIMEOUT_MS", c.header_timeout_ms, 1, 600'000);
  r.Int("BODY_TIMEOUT_MS", c.body_timeout_ms, 1, 600'000);
  r.Int("IDLE_TIMEOUT_MS", c.idle_timeout_ms, 1, 3'600'000);

  if (production) {
    if (c.debug) errors.push_back("DEBUG: refused in production: debug mode must be off");
    if (c.tenant_id.empty()) errors.push_back("TENANT_ID: is required in production");
    if (!c.database_url.empty()) {
      std::string mode = c.EffectiveSslMode();
      if (mode != "require" && mode != "verify-ca" && mode != "verify-full") {
        errors.push_back("DATABASE_URL: refused in production: sslmode is \"" + mode +
                         "\"; use require, verify-ca or verify-full (DB_SSL_MODE or ?sslmode=)");
      }
      auto host = db_params.find("host");
      auto hostaddr = db_params.find("hostaddr");
      if (host == db_params.end() && hostaddr == db_params.end()) {
        errors.push_back("DATABASE_URL: refused in production: no host given (defaults to a local socket)");
      } else {
        for (auto it : {host, hostaddr}) {
          if (it == db_params.end()) continue;
          std::stringstream hs(it->second);
          std::string h;
          while (std::getline(hs, h, ',')) {
            if (IsLoopbackHost(h)) {
              errors.push_back("DATABASE_URL: refused in production: database host \"" + h + "\" is local");
            }
          }
        }
      }
    }
    if (std::find(c.cors_origins.begin(), c.cors_origins.end(), "*") != c.cors_origins.end()) {
      errors.push_back("CORS_ORIGINS: refused in production: * allows every origin");
    }
    if (c.redis_url.empty()) {
      errors.push_back("REDIS_URL: refused in production: rate limiting needs Redis");
    } else if (redis && redis->password.empty()) {
      errors.push_back("REDIS_URL: refused in production: the URL has no password");
    }
  }
  return result;
}

Lookup ProcessEnvironment() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* v = std::getenv(name.c_str());
    if (v == nullptr) return std::nullopt;
    return std::string(v);
  };
}

std::string HelpText() {
  return R"(Environment (validated at start; every problem is reported, exit code 2):
  DATABASE_URL              required; libpq URI or conninfo of the tenant database
  JWT_SIGNING_KEY           required; HS256 key, at least 32 bytes
  ENVIRONMENT               development | staging | production (default development)
  DB_SSL_MODE               disable|allow|prefer|require|verify-ca|verify-full (overrides the URL)
  DB_POOL_SIZE              1..200 (default 10)
  DB_STATEMENT_TIMEOUT_MS   default 5000
  DB_ACQUIRE_TIMEOUT_MS     wait for a pooled connection before 503 (default 2000)
  REDIS_URL                 redis://[:password@]host[:port][/db] (rate limiting)
  CORS_ORIGINS              comma-separated allowed origins (https://app.example.com)
  RATE_LIMIT_ENABLED        default true
  RATE_LIMIT_{READ,WRITE,AUTH,LOGIN}_PER_MINUTE / _BURST
                            defaults read 1200, write 300, auth 60, login 5 (per username+IP)
  RATE_LIMIT_FAIL_MODE      open (in-process fallback limiter) | closed (503) when Redis is down
  RATE_LIMIT_REDIS_TIMEOUT_MS  default 50
  SENTRY_DSN, SENTRY_RELEASE   error reporting
  LOG_LEVEL                 trace|debug|info|warn|error|off (default info)
  PORT                      default 8080;  BIND_ADDRESS default 0.0.0.0
  REQUEST_TIMEOUT_MS        per-request deadline, 503 on expiry (default 10000)
  SHUTDOWN_GRACE_SECONDS    default 20
  TENANT_ID                 the tenant this process serves (required in production)
  DB_MIGRATION_ROLE         `migrate` only: role to run migrations as (default: the tenant's
                            owner role erp_tenant_<TENANT_ID>_owner when usable)
  DEBUG                     default false (refused in production)
  IO_THREADS, WORKER_THREADS, HEADER_TIMEOUT_MS, BODY_TIMEOUT_MS, IDLE_TIMEOUT_MS  server tuning
Production refuses: DEBUG on, a weak signing key, sslmode other than require/verify-ca/
verify-full, a localhost/127.0.0.1 database host, CORS_ORIGINS=*, no REDIS_URL or one
without a password.
)";
}

}  // namespace tenant::api::config
