#include "runtime/handlers/order_plan.hpp"

#include <set>

#include "runtime/handlers/money.hpp"

namespace tenant::api::handlers {

std::vector<std::int64_t> ProductIdsToLock(const std::vector<OrderLineRequest>& lines) {
  std::set<std::int64_t> ids;
  for (const auto& l : lines) ids.insert(l.product_id);
  return {ids.begin(), ids.end()};
}

OrderPlan PlanOrder(const std::vector<OrderLineRequest>& lines,
                    const std::map<std::int64_t, LockedProduct>& products) {
  OrderPlan plan;
  std::vector<server::FieldError> errors;
  for (size_t i = 0; i < lines.size(); ++i) {
    const auto& req = lines[i];
    const std::string field = "lines[" + std::to_string(i) + "]";
    auto it = products.find(req.product_id);
    if (it == products.end()) {
      errors.push_back({field + ".product_id", "product does not exist"});
      continue;
    }
    const LockedProduct& p = it->second;
    if (!p.active) {
      errors.push_back({field + ".product_id", "product is not active"});
      continue;
    }
    if (plan.currency.empty()) {
      plan.currency = p.currency;
    } else if (plan.currency != p.currency) {
      errors.push_back({field + ".product_id",
                        "product is priced in " + p.currency + ", the order in " + plan.currency});
      continue;
    }
    auto line_total = CheckedMul(req.quantity, p.unit_price_minor);
    auto total = line_total ? CheckedAdd(plan.total_minor, *line_total) : std::nullopt;
    auto taken = CheckedAdd(plan.decrements[p.id], req.quantity);
    if (!total || !taken) {
      errors.push_back({field + ".quantity", "order total is too large"});
      continue;
    }
    plan.total_minor = *total;
    plan.decrements[p.id] = *taken;
    plan.lines.push_back({static_cast<int>(i + 1), p.id, req.quantity, p.unit_price_minor, *line_total});
  }
  if (!errors.empty()) throw server::ValidationFailed(std::move(errors));

  nlohmann::json short_list = nlohmann::json::array();
  std::vector<std::string> skus;
  for (const auto& [id, qty] : plan.decrements) {
    const LockedProduct& p = products.at(id);
    if (qty > p.stock) {
      short_list.push_back({{"product_id", id}, {"sku", p.sku}, {"requested", qty}, {"available", p.stock}});
      skus.push_back(p.sku);
    }
  }
  if (!short_list.empty()) {
    std::string detail = "not enough stock for ";
    for (size_t i = 0; i < skus.size(); ++i) detail += (i ? ", " : "") + skus[i];
    throw server::Conflict("insufficient_stock", detail).WithExtension("products", short_list);
  }
  return plan;
}

}  // namespace tenant::api::handlers
