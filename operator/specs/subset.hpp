#pragma once
#include <nlohmann/json.hpp>

namespace tenant::specs {

// True when every field of `desired` is present in `observed` with the same value
// (objects compared key by key, recursively; arrays element-wise with equal length;
// fields the server added, like defaults, are ignored). Lets the controller skip an
// apply that would change nothing, so an unchanged Tenant costs no API writes.
bool IsSubset(const nlohmann::json& desired, const nlohmann::json& observed);

// True when applying `desired` would change `observed`: not a subset, or `observed` still
// carries a key the operator owns but no longer wants (a Secret's data keys, or a
// tenancy.erp.dev/ annotation such as a finished rotation's retiring-role), which a
// subset test cannot see.
bool NeedsApply(const nlohmann::json& desired, const nlohmann::json& observed);

}  // namespace tenant::specs
