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
