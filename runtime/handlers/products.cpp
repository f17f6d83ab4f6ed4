#include "runtime/handlers/products.hpp"

#include "common/pg/error.hpp"
#include "runtime/db/product_queries.hpp"
#include "runtime/handlers/money.hpp"
#include "runtime/handlers/page.hpp"
#include "runtime/handlers/support.hpp"
#include "runtime/handlers/versioned.hpp"
#include "runtime/server/json_body.hpp"

namespace tenant::api::handlers {
namespace {

using nlohmann::json;
namespace q = db::products;

const server::StringRule kSku{1, 64};
const server::StringRule kName{1, 200};
const server::StringRule kDescription{0, 4000};
const server::StringRule kCurrency{3, 3};
const server::IntRule kPrice{0, INT64_MAX / 1'000'000};   // room for quantity * price
const server::IntRule kStock{0, 1'000'000'000};
const VersionedTable kTable{q::kExists, "product"};

json ProductJson(const pg::Result& r, int row) {
  return {{"id", r.Int64(row, "id")},
          {"sku", r.Value(row, "sku")},
          {"name", r.Value(row, "name")},
          {"description", r.Value(row, "description")},
          {"unit_price_minor", r.Int64(row, "unit_price_minor")},
          {"currency", r.Value(row, "currency")},
          {"stock_quantity", r.Int64(row, "stock_quantity")},
          {"active", r.Bool(row, "active")},
          {"version", r.Int64(row, "version")},
          {"created_at", r.Value(row, "created_at")},
          {"updated_at", r.Value(row, "updated_at")}};
}

server::Response WithETag(int status, const pg::Result& r) {
  return JsonWithETag(status, ProductJson(r, 0), r.Int64(0, "version"));
}

void CheckSku(server::JsonObject& in, const std::optional<std::string>& sku) {
  if (!sku) return;
  for (char c : *sku) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-')) {
      in.AddError("sku", "may contain only letters, digits, '.', '_' and '-'");
      return;
    }
  }
}

void CheckCurrency(server::JsonObject& in, const std::optional<std::string>& currency) {
  if (currency && !IsIsoCurrency(*currency)) {
    in.AddError("currency", "must be an ISO 4217 currency code such as EUR");
  }
}

server::HttpError SkuTaken() {
  return server::HttpError(409, "duplicate_sku", "Duplicate SKU",
                           "a product with this sku already exists",
                           {{"sku", "already exists"}});
}

server::Response Create(Domain& d, server::Request& req) {
  json body = server::ParseJsonBody(req);
  server::JsonObject in(body);
  auto sku = in.RequiredString("sku", kSku);
  auto name = in.RequiredString("name", kName);
  auto description = in.OptionalString("description", kDescription);
  auto price = in.RequiredInt("unit_price_minor", kPrice);
  auto currency = in.RequiredString("currency", kCurrency);
  auto stock = in.OptionalInt("stock_quantity", kStock);
  auto active = in.OptionalBool("active");
  CheckSku(in, sku);
  CheckCurrency(in, currency);
  in.Finish();

  return RunWrite(d, req, body, [&](db::Pool::Lease& lease) {
    pg::Result r;
    try {
      r = lease.Exec(q::kInsert, {*sku, *name, description.value_or(""), *price, *currency,
                                  stock.value_or(0), active.value_or(true)});
    } catch (const pg::UniqueViolation&) {
      throw SkuTaken();
    }
    return Created(lease, req, "product", "/api/v1/products", r, ProductJson, {{"sku", *sku}});
  });
}

server::Response Get(Domain& d, server::Request& req) {
  return GetVersioned(d, req, q::kGet, "product", ProductJson);
}

server::Response List(Domain& d, server::Request& req) {
  auto page = ParsePage(req);
  std::vector<server::FieldError> errors;
  auto active = QueryBool(req, "active", errors);
  pg::Param sku = std::nullopt, name = std::nullopt, currency = std::nullopt;
  if (auto v = req.Query("sku")) sku = *v;
  if (auto v = req.Query("q")) {
    if (v->size() > 200) errors.push_back({"q", "must be at most 200 characters"});
    name = ContainsPattern(*v);
  }
  if (auto v = req.Query("currency")) {
    if (!IsIsoCurrency(*v)) errors.push_back({"currency", "must be an ISO 4217 currency code"});
    currency = *v;
  }
  if (!errors.empty()) throw server::ValidationFailed(std::move(errors));
  pg::Param active_param = std::nullopt;
  if (active) active_param = *active;

  auto lease = Acquire(d, req);
  pg::Result r = lease.Exec(q::kList, {page.after_id, page.limit + 1, active_param, sku, name, currency});
  return PageResponse(ToPage(r, page, ProductJson));
}

server::Response Update(Domain& d, server::Request& req) {
  const auto id = PathId(req);
  const pg::Param expected = ExpectedVersionParam(RequireIfMatch(req));
  json body = server::ParseJsonBody(req);
  server::JsonObject in(body);
  auto sku = in.OptionalString("sku", kSku);
  auto name = in.OptionalString("name", kName);
  auto description = in.OptionalString("description", kDescription);
  auto price = in.OptionalInt("unit_price_minor", kPrice);
  auto currency = in.OptionalString("currency", kCurrency);
  auto stock = in.OptionalInt("stock_quantity", kStock);
  auto active = in.OptionalBool("active");
  CheckSku(in, sku);
  CheckCurrency(in, currency);
  in.Finish();

  auto opt = [](const auto& v) -> pg::Param {
    if (v) return pg::Param(*v);
    return pg::Param(std::nullopt);
  };
  pg::Result r = GuardedWrite(d, req, kTable, id, "update", {{"fields", body}}, [&](db::Pool::Lease& lease) {
    try {
      return lease.Exec(q::kUpdate,
                        {id, expected, sku.has_value(), opt(sku), name.has_value(), opt(name),
                         description.has_value(), opt(description), price.has_value(), opt(price),
                         currency.has_value(), opt(currency), stock.has_value(), opt(stock),
                         active.has_value(), opt(active)});
    } catch (const pg::UniqueViolation&) {
      throw SkuTaken();
    }
  });
  return WithETag(200, r);
}

server::Response Delete(Domain& d, server::Request& req) {
  return DeleteVersioned(d, req, kTable, q::kDelete,
                         server::Conflict("product_in_use",
                                          "the product appears on orders; deactivate it instead (active=false)"));
}

}  // namespace

void RegisterProductRoutes(server::Router& router, Domain& d) {
  RegisterCrudRoutes(router, d, "/api/v1/products",
                     {Create, List, Get, Update, Delete, GetVersionedAsync(d, q::kGet, "product", ProductJson)},
                     server::RouteOptions::Roles({"admin", "manager"}));
}

}  // namespace tenant::api::handlers
