#include "runtime/handlers/routes.hpp"

#include <stdexcept>

#include "common/pg/connection.hpp"
#include "common/auth/seed_user.hpp"
#include "runtime/db/support_queries.hpp"
#include "runtime/handlers/auth.hpp"
#include "runtime/handlers/customers.hpp"
#include "runtime/handlers/orders.hpp"
#include "runtime/handlers/products.hpp"
#include "runtime/handlers/users.hpp"

namespace tenant::api::handlers {
namespace {

db::PoolOptions PoolOptionsFrom(const config::Config& c, metrics::Registry& registry) {
  db::PoolOptions o;
  // DatabaseConnInfo() already applies DB_SSL_MODE, statement_timeout and application_name.
  o.conninfo = c.DatabaseConnInfo();
  o.ssl_mode.clear();
  o.statement_timeout = std::chrono::milliseconds(0);
  o.application_name.clear();
  o.size = static_cast<std::size_t>(c.db_pool_size);
  o.acquire_timeout = std::chrono::milliseconds(c.db_acquire_timeout_ms);
  o.registry = &registry;
  return o;
}

std::string TenantOf(const config::Config& c) { return c.tenant_id.empty() ? "default" : c.tenant_id; }

}  // namespace

void RegisterApiRoutes(server::Router& router, app::AppContext& ctx) {
  auto pool = std::make_shared<db::Pool>(PoolOptionsFrom(ctx.config, ctx.metrics));
  auto domain = std::make_shared<Domain>(
      pool, auth::JwtCodec(ctx.config.jwt_signing_key, TenantOf(ctx.config)), ctx.metrics,
      &ctx.rate_limiter);
  ctx.keep_alive.push_back(pool);
  ctx.keep_alive.push_back(domain);

  RegisterAuthRoutes(router, *domain);
  RegisterUserRoutes(router, *domain);
  RegisterCustomerRoutes(router, *domain);
  RegisterProductRoutes(router, *domain);
  RegisterOrderRoutes(router, *domain);
  DescribeApi(ctx.openapi);

  ctx.authenticate = MakeAuthenticator(*domain);
  ctx.database.ping = [pool](std::chrono::milliseconds timeout) {
    auto lease = pool->Acquire(timeout);
    lease.Exec(db::support::kPing);
  };
  ctx.database.schema_version = [pool](std::chrono::milliseconds timeout) {
    auto lease = pool->Acquire(timeout);
    return static_cast<int>(lease.Exec(db::support::kSchemaVersion).Int64(0, 0));
  };
  ctx.database.close = [pool] { pool->Close(); };
}

void CreateUser(app::AppContext& ctx, const std::string& username, const std::string& password,
                const std::string& role) {
  auto conn = pg::Connection::Connect(ctx.config.DatabaseConnInfo());
  auto result = tenant::auth::SeedUser(conn, username, password, role, "create-user");
  if (!result.created) throw std::runtime_error("a user with this username already exists");
}

}  // namespace tenant::api::handlers
