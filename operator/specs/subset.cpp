#include "operator/specs/subset.hpp"

namespace tenant::specs {

bool IsSubset(const nlohmann::json& desired, const nlohmann::json& observed) {
  if (desired.is_object()) {
    if (!observed.is_object()) return false;
    for (const auto& [k, v] : desired.items()) {
      auto it = observed.find(k);
      if (it == observed.end()) {
        // An empty object/array we ask for may be omitted by the server (e.g. emptyDir: {}).
        if ((v.is_object() || v.is_array()) && v.empty()) continue;
        return false;
      }
      if (!IsSubset(v, *it)) return false;
    }
    return true;
  }
  if (desired.is_array()) {
    if (!observed.is_array() || observed.size() != desired.size()) return false;
    for (std::size_t i = 0; i < desired.size(); ++i) {
      if (!IsSubset(desired[i], observed[i])) return false;
    }
    return true;
  }
  if (desired.is_number() && observed.is_number()) return desired == observed;
  return desired == observed;
}

}  // namespace tenant::specs
