#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace tenant::api {

// metav1.Condition helpers (k8s.io/apimachinery/pkg/api/meta SetStatusCondition semantics).
// Pure: the clock is passed in.

inline constexpr std::string_view kConditionTrue = "True";
inline constexpr std::string_view kConditionFalse = "False";
inline constexpr std::string_view kConditionUnknown = "Unknown";

struct Condition {
  std::string type;     // CamelCase: "Ready", "Reconciling", "Stalled", "DatabaseReady"
  std::string status;   // "True" | "False" | "Unknown"
  std::string reason;   // CamelCase, required by the API (defaults to status if empty)
  std::string message;
  long long observed_generation = 0;
  std::string last_transition_time;  // RFC 3339 UTC, seconds precision

  bool operator==(const Condition&) const = default;
};

nlohmann::json ToJson(const Condition& c);
// Throws std::invalid_argument when type or status is missing.
Condition ConditionFromJson(const nlohmann::json& j);
std::vector<Condition> ConditionsFromJson(const nlohmann::json& array);  // null -> empty
nlohmann::json ToJson(const std::vector<Condition>& conditions);

// Sets `c` in `conditions`: if a condition of that type exists, lastTransitionTime changes
// only when status changes; reason, message and observedGeneration are always updated.
// A new condition gets `now` (or c.last_transition_time if set). Returns true if anything
// changed (so callers can skip a no-op status write).
bool SetCondition(std::vector<Condition>& conditions, Condition c,
                  std::chrono::system_clock::time_point now);
// Same on a JSON status object's "conditions" array (created if missing).
bool SetCondition(nlohmann::json& status, Condition c, std::chrono::system_clock::time_point now);

bool RemoveCondition(std::vector<Condition>& conditions, std::string_view type);
const Condition* FindCondition(const std::vector<Condition>& conditions, std::string_view type);
bool IsConditionTrue(const std::vector<Condition>& conditions, std::string_view type);
bool IsConditionFalse(const std::vector<Condition>& conditions, std::string_view type);

// RFC 3339 UTC with seconds: "2026-11-29T04:41:07Z" (metav1.Time precision).
std::string FormatTime(std::chrono::system_clock::time_point t);

}  // namespace tenant::api
