#pragma once
// Shared set-up for the tenant-api domain integration tests: a tenant database laid out the
// way the operator does it (NOLOGIN owner role owning the database, a LOGIN role that is a
// member of it), the real ERP migrations applied AS THE OWNER (no superuser), users seeded
// with bcrypt cost 12, and the whole tenant-api App serving on a free loopback port. Calls
// go through real HTTP (Boost.Beast client) so middleware, auth and problem+json are real.
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/pg/connection.hpp"
#include "runtime/app/app.hpp"

namespace tenant::test::api {

inline constexpr const char* kSigningKey = "integration-test-signing-key-0123456789abcdef";
inline constexpr const char* kTenant = "acme";
inline constexpr const char* kPassword = "correct-horse-battery-1";

std::string UniqueSuffix();

// roles erp_<x>_owner (NOLOGIN) / erp_<x>_a (LOGIN, member of owner), database owned by the
// owner. Dropped (FORCE) on destruction.
class TenantDatabase {
 public:
  TenantDatabase();
  ~TenantDatabase();
  TenantDatabase(const TenantDatabase&) = delete;
  TenantDatabase& operator=(const TenantDatabase&) = delete;

  const std::string& name() const { return name_; }
  const std::string& owner() const { return owner_; }
  // libpq conninfo of the login role (TLS verify-full, SCRAM). Contains a password.
  std::string AppConnInfo() const;
  pg::Connection ConnectAsApp() const;
  pg::Connection ConnectAsSuperuser() const;
  // Runs the embedded migrations up to `target` (latest when nullopt) as the owner role.
  void Migrate(std::optional<int> target = std::nullopt);

 private:
  std::string name_, owner_, login_, password_;
};

struct HttpResult {
  int status = 0;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
  nlohmann::json Json() const;
  std::string Header(const std::string& lower_name) const;
};

// One request on a fresh connection to 127.0.0.1:port.
HttpResult Http(int port, const std::string& method, const std::string& target,
                const std::string& body = {},
                const std::vector<std::pair<std::string, std::string>>& headers = {});

struct SeededUser {
  std::int64_t id = 0;
  std::string username;
  std::string role;
};

class ApiHarness {
 public:
  // rate_limits: false = off (most tests); true = in-process limiter with a login budget
  // of 3 attempts per minute and generous other classes.
  explicit ApiHarness(bool rate_limits = false);
  ~ApiHarness();
  // One per test process (services started once per suite); tests use unique names.
  static ApiHarness& Shared();

  int port() const { return app_->port(); }
  TenantDatabase& db() const { return *db_; }
  ::tenant::api::app::App& app() { return *app_; }
  const SeededUser& user(const std::string& role) const { return users_.at(role); }

  // An access token for the seeded user of `role`, minted with the tenant's key.
  std::string Token(const std::string& role) const;

  HttpResult Call(const std::string& method, const std::string& target, const std::string& token,
                  const nlohmann::json& body = nullptr,
                  std::vector<std::pair<std::string, std::string>> headers = {}) const;

  // Creates a product through the API as the manager; returns its id.
  std::int64_t CreateProduct(const std::string& sku, std::int64_t price, std::int64_t stock,
                             const std::string& currency = "EUR") const;

 private:
  std::unique_ptr<TenantDatabase> db_;
  std::unique_ptr<::tenant::api::app::App> app_;
  std::map<std::string, SeededUser> users_;
};

}  // namespace tenant::test::api
