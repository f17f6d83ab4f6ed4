#include "operator/specs/subset.hpp"

#include "operator/specs/quantity.hpp"

namespace tenant::specs {

namespace {

// `quantities`: inside a ResourceRequirements' limits/requests map, where the server
// rewrites values into canonical form ("0.5" -> "500m", 1 -> "1").
bool Subset(const nlohmann::json& desired, const nlohmann::json& observed, bool quantities) {
  if (desired.is_object()) {
    if (!observed.is_object()) return false;
    for (const auto& [k, v] : desired.items()) {
      auto it = observed.find(k);
      if (it == observed.end()) {
        // An empty object/array we ask for may be omitted by the server (e.g. emptyDir: {}).
        if ((v.is_object() || v.is_array()) && v.empty()) continue;
        return false;
      }
      const bool quantity_map = v.is_object() && (k == "limits" || k == "requests");
      if (!Subset(v, *it, quantity_map || (quantities && !v.is_structured()))) return false;
    }
    return true;
  }
  if (desired.is_array()) {
    if (!observed.is_array() || observed.size() != desired.size()) return false;
    for (std::size_t i = 0; i < desired.size(); ++i) {
      if (!Subset(desired[i], observed[i], false)) return false;
    }
    return true;
  }
  return quantities ? SameQuantity(desired, observed) : desired == observed;
}

}  // namespace

bool IsSubset(const nlohmann::json& desired, const nlohmann::json& observed) {
  return Subset(desired, observed, false);
}

namespace {
bool HasExtraKeys(const nlohmann::json& desired, const nlohmann::json& observed, std::string_view prefix) {
  if (!observed.is_object()) return false;
  for (const auto& [k, v] : observed.items()) {
    (void)v;
    if (k.rfind(prefix, 0) == 0 && (!desired.is_object() || !desired.contains(k))) return true;
  }
  return false;
}
const nlohmann::json& Child(const nlohmann::json& j, const char* a, const char* b = nullptr) {
  static const nlohmann::json kNull;
  if (!j.is_object() || !j.contains(a)) return kNull;
  if (b == nullptr) return j[a];
  return j[a].is_object() && j[a].contains(b) ? j[a][b] : kNull;
}
}  // namespace

bool NeedsApply(const nlohmann::json& desired, const nlohmann::json& observed) {
  if (!IsSubset(desired, observed)) return true;
  if (HasExtraKeys(Child(desired, "metadata", "annotations"), Child(observed, "metadata", "annotations"),
                   "tenancy.erp.dev/")) {
    return true;
  }
  if (desired.value("kind", "") == "Secret" && HasExtraKeys(Child(desired, "data"), Child(observed, "data"), "")) {
    return true;
  }
  return false;
}

}  // namespace tenant::specs
