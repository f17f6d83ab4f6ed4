#include "runtime/handlers/orders.hpp"

#include "common/pg/error.hpp"
#include "common/pg/transaction.hpp"
#include "runtime/db/order_queries.hpp"
#include "runtime/handlers/order_plan.hpp"
#include "runtime/handlers/page.hpp"
#include "runtime/handlers/support.hpp"
#include "runtime/handlers/versioned.hpp"
#include "runtime/server/json_body.hpp"

namespace tenant::api::handlers {
namespace {

using nlohmann::json;
namespace q = db::orders;

constexpr std::size_t kMaxLines = 100;
const server::IntRule kQuantity{1, 1'000'000};
const server::IntRule kId{1, INT64_MAX};

json OrderJson(const pg::Result& r, int row) {
  auto customer = r.Optional(row, "customer_id");
  auto created_by = r.Optional(row, "created_by");
  return {{"id", r.Int64(row, "id")},
          {"customer_id", customer ? json(std::stoll(*customer)) : json(nullptr)},
          {"status", r.Value(row, "status")},
          {"total_minor", r.Int64(row, "total_minor")},
          {"currency", r.Value(row, "currency")},
          {"created_by", created_by ? json(std::stoll(*created_by)) : json(nullptr)},
          {"version", r.Int64(row, "version")},
          {"created_at", r.Value(row, "created_at")},
          {"updated_at", r.Value(row, "updated_at")},
          {"lines", json::array()}};
}

// Loads the lines of the given orders into their "lines" arrays (one query per page).
void AttachLines(db::Pool::Lease& lease, json& orders) {
  if (orders.empty()) return;
  std::vector<std::int64_t> ids;
  std::map<std::int64_t, json*> by_id;
  for (auto& o : orders) {
    ids.push_back(o["id"].get<std::int64_t>());
    by_id[ids.back()] = &o;
  }
  pg::Result r = lease.Exec(q::kLines, {ArrayLiteral(ids)});
  for (int i = 0; i < r.rows(); ++i) {
    (*by_id.at(r.Int64(i, "order_id")))["lines"].push_back(
        {{"line_no", r.Int64(i, "line_no")},
         {"product_id", r.Int64(i, "product_id")},
         {"quantity", r.Int64(i, "quantity")},
         {"unit_price_minor", r.Int64(i, "unit_price_minor")},
         {"line_total_minor", r.Int64(i, "line_total_minor")}});
  }
}

server::Response Create(Domain& d, server::Request& req) {
  json body = server::ParseJsonBody(req);
  server::JsonObject in(body);
  auto customer_id = in.OptionalInt("customer_id", kId);
  std::vector<OrderLineRequest> lines;
  if (const json* arr = in.RequiredArray("lines")) {
    if (arr->empty() || arr->size() > kMaxLines) {
      in.AddError("lines", "must hold 1 to " + std::to_string(kMaxLines) + " lines");
    } else {
      for (std::size_t i = 0; i < arr->size(); ++i) {
        server::JsonObject line((*arr)[i], "lines[" + std::to_string(i) + "].", &in.mutable_errors());
        auto pid = line.RequiredInt("product_id", kId);
        auto qty = line.RequiredInt("quantity", kQuantity);
        line.CheckUnknown();
        if (pid && qty) lines.push_back({*pid, *qty});
      }
    }
  }
  in.Finish();
  const std::int64_t user_id = CurrentUserId(req);

  return RunWrite(d, req, body, [&](db::Pool::Lease& lease) {
    const auto ids = ProductIdsToLock(lines);
    pg::Result locked = lease.Exec(q::kLockProducts, {ArrayLiteral(ids)});
    std::map<std::int64_t, LockedProduct> products;
    for (int i = 0; i < locked.rows(); ++i) {
      LockedProduct p{locked.Int64(i, "id"), std::string(locked.Value(i, "sku")),
                      locked.Int64(i, "unit_price_minor"), std::string(locked.Value(i, "currency")),
                      locked.Int64(i, "stock_quantity"), locked.Bool(i, "active")};
      products.emplace(p.id, std::move(p));
    }
    const OrderPlan plan = PlanOrder(lines, products);

    std::vector<int> line_no;
    std::vector<std::int64_t> pid, qty, price, total, dec_ids, dec_qty;
    for (const auto& l : plan.lines) {
      line_no.push_back(l.line_no);
      pid.push_back(l.product_id);
      qty.push_back(l.quantity);
      price.push_back(l.unit_price_minor);
      total.push_back(l.line_total_minor);
    }
    for (const auto& [id, n] : plan.decrements) {
      dec_ids.push_back(id);
      dec_qty.push_back(n);
    }
    pg::Param customer = std::nullopt;
    if (customer_id) customer = *customer_id;
    pg::Result r;
    try {
      r = lease.Exec(q::kCreate, {customer, plan.total_minor, plan.currency, user_id,
                                  ArrayLiteral(line_no), ArrayLiteral(pid), ArrayLiteral(qty),
                                  ArrayLiteral(price), ArrayLiteral(total), ArrayLiteral(dec_ids),
                                  ArrayLiteral(dec_qty), req.request_id});
    } catch (const pg::ForeignKeyViolation& e) {
      if (e.fields().constraint.find("customer") != std::string::npos) {
        throw server::ValidationFailed({{"customer_id", "customer does not exist"}});
      }
      throw;
    }
    json order = OrderJson(r, 0);
    for (const auto& l : plan.lines) {
      order["lines"].push_back({{"line_no", l.line_no},
                                {"product_id", l.product_id},
                                {"quantity", l.quantity},
                                {"unit_price_minor", l.unit_price_minor},
                                {"line_total_minor", l.line_total_minor}});
    }
    auto resp = server::Response::Json(201, order);
    resp.SetHeader("Location", "/api/v1/orders/" + std::to_string(order["id"].get<std::int64_t>()));
    resp.SetHeader("ETag", ETag(order["version"].get<std::int64_t>()));
    return resp;
  });
}

server::Response Get(Domain& d, server::Request& req) {
  const auto id = PathId(req);
  auto lease = Acquire(d, req);
  pg::Result r = lease.Exec(q::kGet, {id});
  if (r.empty()) throw server::NotFound("order not found");
  json orders = json::array({OrderJson(r, 0)});
  AttachLines(lease, orders);
  return JsonWithETag(200, std::move(orders[0]), r.Int64(0, "version"));
}

server::Response List(Domain& d, server::Request& req) {
  auto page = ParsePage(req);
  std::vector<server::FieldError> errors;
  pg::Param status = std::nullopt, customer = std::nullopt;
  if (auto v = req.Query("status")) {
    if (*v != "confirmed" && *v != "cancelled" && *v != "shipped") {
      errors.push_back({"status", "must be confirmed, cancelled or shipped"});
    }
    status = *v;
  }
  if (auto v = req.Query("customer_id")) {
    try {
      std::size_t used = 0;
      long long n = std::stoll(std::string(*v), &used);
      if (used != v->size() || n <= 0) throw std::invalid_argument("x");
      customer = static_cast<std::int64_t>(n);
    } catch (const std::exception&) {
      errors.push_back({"customer_id", "must be a positive integer"});
    }
  }
  if (!errors.empty()) throw server::ValidationFailed(std::move(errors));
  auto lease = Acquire(d, req);
  pg::Result r = lease.Exec(q::kList, {page.after_id, page.limit + 1, status, customer});
  Page out = ToPage(r, page, OrderJson);
  AttachLines(lease, out.items);
  return PageResponse(std::move(out));
}

// Cancel (stock back) or ship a confirmed order.
server::Response Transition(Domain& d, server::Request& req, const std::string& target) {
  const auto id = PathId(req);
  return RunWrite(d, req, nullptr, [&](db::Pool::Lease& lease) {
    pg::Result cur = lease.Exec(q::kLock, {id});
    if (cur.empty()) throw server::NotFound("order not found");
    const std::string status(cur.Value(0, "status"));
    if (status != "confirmed") {
      throw server::Conflict("invalid_order_state",
                             "the order is " + status + "; only confirmed orders can be " + target)
          .WithExtension("status", status);
    }
    if (target == "cancelled") {
      lease.Exec(q::kLockOrderProducts, {id});
      lease.Exec(q::kRestoreStock, {id});
    }
    pg::Result r = lease.Exec(q::kSetStatus, {id, target});
    Audit(lease, req, target == "cancelled" ? "cancel" : "ship", "order", std::to_string(id));
    json orders = json::array({OrderJson(r, 0)});
    AttachLines(lease, orders);
    return JsonWithETag(200, std::move(orders[0]), r.Int64(0, "version"));
  });
}

server::Response Cancel(Domain& d, server::Request& req) { return Transition(d, req, "cancelled"); }
server::Response Ship(Domain& d, server::Request& req) { return Transition(d, req, "shipped"); }

}  // namespace

void RegisterOrderRoutes(server::Router& router, Domain& d) {
  auto bind = [&d](server::Response (*fn)(Domain&, server::Request&)) { return DomainHandler(d, fn); };
  router.Post("/api/v1/orders", bind(Create), server::RouteOptions().Json());
  router.Get("/api/v1/orders", bind(List), {});
  router.Get("/api/v1/orders/{id}", bind(Get), {});
  router.Post("/api/v1/orders/{id}/cancel", bind(Cancel), {});
  router.Post("/api/v1/orders/{id}/ship", bind(Ship), {});
}

}  // namespace tenant::api::handlers
