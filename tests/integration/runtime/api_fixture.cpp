#include "tests/integration/runtime/api_fixture.hpp"

#include <atomic>
#include <random>
#include <stdexcept>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "common/migrations/migration_set.hpp"
#include "common/migrations/runner.hpp"
#include "common/pg/conninfo.hpp"
#include "common/pg/quote.hpp"
#include "runtime/auth/base64url.hpp"
#include "runtime/auth/crypto.hpp"
#include "runtime/auth/jwt.hpp"
#include "common/auth/seed_user.hpp"
#include "runtime/handlers/routes.hpp"
#include "tests/support/postgres_server.hpp"

namespace tenant::test::api {
namespace {

namespace beast = boost::beast;
namespace http = boost::beast::http;
using boost::asio::ip::tcp;
using nlohmann::json;

pg::Connection Superuser(const std::string& db = "postgres") {
  return pg::Connection::Connect(PostgresServer::Shared().ConnInfo(db));
}

}  // namespace

std::string UniqueSuffix() {
  static std::atomic<int> counter{0};
  static const unsigned seed = std::random_device{}() % 100000;
  return std::to_string(seed) + "_" + std::to_string(++counter);
}

TenantDatabase::TenantDatabase() {
  const std::string id = UniqueSuffix();
  name_ = "erp_tenant_t" + id;
  owner_ = name_ + "_owner";
  login_ = name_ + "_a";
  password_ = tenant::api::auth::Base64UrlEncode(tenant::api::auth::RandomBytes(18));
  auto admin = Superuser();
  admin.Exec("CREATE ROLE " + pg::QuoteIdentifier(owner_) + " NOLOGIN");
  admin.Exec("CREATE ROLE " + pg::QuoteIdentifier(login_) + " LOGIN IN ROLE " +
             pg::QuoteIdentifier(owner_) + " PASSWORD " + pg::QuoteLiteral(password_));
  admin.Exec("CREATE DATABASE " + pg::QuoteIdentifier(name_) + " OWNER " + pg::QuoteIdentifier(owner_));
  // PostgreSQL 15: schema public belongs to pg_database_owner, i.e. the owner role, so the
  // migrations need no further grants.
}

TenantDatabase::~TenantDatabase() {
  try {
    auto admin = Superuser();
    admin.Exec("DROP DATABASE IF EXISTS " + pg::QuoteIdentifier(name_) + " WITH (FORCE)");
    admin.Exec("DROP ROLE IF EXISTS " + pg::QuoteIdentifier(login_));
    admin.Exec("DROP ROLE IF EXISTS " + pg::QuoteIdentifier(owner_));
  } catch (...) {  // server stopped by an outage test: its directory goes at exit anyway
  }
}

std::string TenantDatabase::AppConnInfo() const {
  return pg::ConnInfoBuilder::From(PostgresServer::Shared().ConnInfo(name_))
      .User(login_)
      .Password(password_)
      .Build();
}

pg::Connection TenantDatabase::ConnectAsApp() const { return pg::Connection::Connect(AppConnInfo()); }
pg::Connection TenantDatabase::ConnectAsSuperuser() const { return Superuser(name_); }

void TenantDatabase::Migrate(std::optional<int> target) {
  // Connect as the login role and SET ROLE to the owner, exactly the privileges the
  // operator's migration step has: no superuser anywhere.
  auto conn = ConnectAsApp();
  migrations::RunnerOptions o;
  o.role = owner_;
  o.allow_downgrade = true;
  migrations::Runner runner(conn, migrations::Embedded(), o);
  if (target) runner.MigrateTo(*target);
  else runner.Up();
}

json HttpResult::Json() const { return json::parse(body); }

std::string HttpResult::Header(const std::string& lower_name) const {
  auto it = headers.find(lower_name);
  return it == headers.end() ? std::string() : it->second;
}

HttpResult Http(int port, const std::string& method, const std::string& target, const std::string& body,
                const std::vector<std::pair<std::string, std::string>>& headers) {
  boost::asio::io_context ioc;
  beast::tcp_stream stream(ioc);
  stream.expires_after(std::chrono::seconds(60));
  stream.connect(tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(port)));
  http::request<http::string_body> req{http::string_to_verb(method), target, 11};
  req.set(http::field::host, "127.0.0.1");
  for (const auto& [k, v] : headers) req.set(k, v);
  if (!body.empty()) {
    if (req.find(http::field::content_type) == req.end()) req.set(http::field::content_type, "application/json");
    req.body() = body;
  }
  req.prepare_payload();
  http::write(stream, req);
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(64 * 1024 * 1024);
  http::read(stream, buffer, parser);
  auto res = parser.release();
  HttpResult out;
  out.status = static_cast<int>(res.result_int());
  for (const auto& field : res) {
    std::string name(field.name_string());
    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    out.headers[name] = std::string(field.value());
  }
  out.body = res.body();
  beast::error_code ec;
  stream.socket().shutdown(tcp::socket::shutdown_both, ec);
  return out;
}

ApiHarness::ApiHarness(bool rate_limits) : db_(std::make_unique<TenantDatabase>()) {
  db_->Migrate();
  {
    auto conn = db_->ConnectAsApp();
    for (const std::string role : {"admin", "manager", "clerk"}) {
      const std::string username = role + "-user";
      auto r = tenant::auth::SeedUser(conn, username, kPassword, role, "test-seed");
      if (!r.created) throw std::runtime_error("seed user existed in a fresh database");
      users_[role] = SeededUser{r.id, username, role};
    }
  }
  tenant::api::config::Config c;
  c.database_url = db_->AppConnInfo();
  c.jwt_signing_key = kSigningKey;
  c.tenant_id = kTenant;
  c.bind_address = "127.0.0.1";
  c.port = 0;
  c.db_pool_size = 8;
  c.db_acquire_timeout_ms = 20000;  // sanitizer builds are slow; the race test queues 50
  c.rate_limit.enabled = rate_limits;
  c.rate_limit.login = {3, std::chrono::minutes(1), 3};
  c.rate_limit.read = c.rate_limit.write = c.rate_limit.auth = {100000, std::chrono::minutes(1), 100000};
  c.shutdown_grace_seconds = 2;
  c.request_timeout_ms = 30000;
  c.log_level = "warn";
  app_ = std::make_unique<tenant::api::app::App>(c, tenant::api::handlers::RegisterApiRoutes);
  app_->Start();
}

ApiHarness::~ApiHarness() {
  if (app_) app_->Shutdown();
}

ApiHarness& ApiHarness::Shared() {
  static ApiHarness harness;
  return harness;
}

std::string ApiHarness::Token(const std::string& role) const {
  tenant::api::auth::JwtCodec codec(kSigningKey, kTenant);
  tenant::api::auth::Role r{};
  tenant::api::auth::ParseRole(role, r);
  return codec.Issue(std::to_string(user(role).id), r);
}

HttpResult ApiHarness::Call(const std::string& method, const std::string& target, const std::string& token,
                            const json& body, std::vector<std::pair<std::string, std::string>> headers) const {
  if (!token.empty()) headers.emplace_back("Authorization", "Bearer " + token);
  return Http(port(), method, target, body.is_null() ? std::string() : body.dump(), headers);
}

std::int64_t ApiHarness::CreateProduct(const std::string& sku, std::int64_t price, std::int64_t stock,
                                       const std::string& currency) const {
  auto r = Call("POST", "/api/v1/products", Token("manager"),
                {{"sku", sku}, {"name", "Product " + sku}, {"unit_price_minor", price},
                 {"currency", currency}, {"stock_quantity", stock}});
  if (r.status != 201) throw std::runtime_error("creating product failed: " + std::to_string(r.status) + " " + r.body);
  return r.Json()["id"].get<std::int64_t>();
}

}  // namespace tenant::test::api
