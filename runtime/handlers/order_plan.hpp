#pragma once
// The pure part of placing an order: given the requested lines and the locked product
// rows, decide the line prices, total and stock changes, or every reason to refuse.
// Unit-tested without a database; orders.cpp only feeds it rows and runs its plan.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "runtime/server/http_error.hpp"

namespace tenant::api::handlers {

struct OrderLineRequest {
  std::int64_t product_id = 0;
  std::int64_t quantity = 0;
};

struct LockedProduct {
  std::int64_t id = 0;
  std::string sku;
  std::int64_t unit_price_minor = 0;
  std::string currency;
  std::int64_t stock = 0;
  bool active = true;
};

struct PlannedLine {
  int line_no = 0;
  std::int64_t product_id = 0;
  std::int64_t quantity = 0;
  std::int64_t unit_price_minor = 0;
  std::int64_t line_total_minor = 0;
};

struct OrderPlan {
  std::vector<PlannedLine> lines;
  std::int64_t total_minor = 0;
  std::string currency;
  // product id -> quantity to take from stock (duplicate lines summed)
  std::map<std::int64_t, std::int64_t> decrements;
};

struct ShortProduct {
  std::int64_t product_id = 0;
  std::string sku;
  std::int64_t requested = 0;
  std::int64_t available = 0;
};

// Distinct product ids of the request, ascending (the lock order).
std::vector<std::int64_t> ProductIdsToLock(const std::vector<OrderLineRequest>& lines);

// Throws HttpError: 422 for unknown/inactive products, mixed currencies or an overflowing
// total (field errors name the lines); 409 insufficient_stock with a "products" extension
// listing every short product (id, sku, requested, available).
OrderPlan PlanOrder(const std::vector<OrderLineRequest>& lines,
                    const std::map<std::int64_t, LockedProduct>& products);

// Postgres array literal of integers: {1,2,3}.
template <typename Int>
std::string ArrayLiteral(const std::vector<Int>& values) {
  std::string out = "{";
  for (size_t i = 0; i < values.size(); ++i) {
    if (i) out.push_back(',');
    out += std::to_string(values[i]);
  }
  out.push_back('}');
  return out;
}

}  // namespace tenant::api::handlers
