#pragma once
#include <nlohmann/json.hpp>

namespace tenant::specs {

// True when every field of `desired` is present in `observed` with the same value
// (objects compared key by key, recursively; arrays element-wise with equal length;
// fields the server added, like defaults, are ignored). Lets the controller skip an
// apply that would change nothing, so an unchanged Tenant costs no API writes.
bool IsSubset(const nlohmann::json& desired, const nlohmann::json& observed);

}  // namespace tenant::specs
