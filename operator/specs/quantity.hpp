#pragma once
#include <nlohmann/json.hpp>
#include <optional>

namespace tenant::specs {

// Exact value of a Kubernetes resource.Quantity ("500m", "0.5", "1Gi", "1e3", 2) in
// nano-units, rounded up as the API server does. nullopt when `q` is not a quantity or
// does not fit. The server stores quantities in canonical form ("0.5" comes back as
// "500m"), so the operator compares values, not spellings, to avoid writes that change
// nothing.
std::optional<__int128> QuantityNanos(const nlohmann::json& q);

// True when both are quantities of the same value (or, failing to parse, equal JSON).
bool SameQuantity(const nlohmann::json& a, const nlohmann::json& b);

}  // namespace tenant::specs
