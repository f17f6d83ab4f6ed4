#include "operator/api/condition.hpp"

#include <algorithm>
#include <ctime>
#include <stdexcept>

namespace tenant::api {

std::string FormatTime(std::chrono::system_clock::time_point t) {
  std::time_t secs = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

nlohmann::json ToJson(const Condition& c) {
  return nlohmann::json{{"type", c.type},
                        {"status", c.status},
                        {"reason", c.reason.empty() ? c.status : c.reason},
                        {"message", c.message},
                        {"observedGeneration", c.observed_generation},
                        {"lastTransitionTime", c.last_transition_time}};
}

Condition ConditionFromJson(const nlohmann::json& j) {
  if (!j.is_object() || !j.contains("type") || !j.contains("status") || !j["type"].is_string() ||
      !j["status"].is_string()) {
    throw std::invalid_argument("condition needs string type and status");
  }
  Condition c;
  c.type = j["type"].get<std::string>();
  c.status = j["status"].get<std::string>();
  c.reason = j.value("reason", "");
  c.message = j.value("message", "");
  if (auto g = j.find("observedGeneration"); g != j.end() && g->is_number_integer()) {
    c.observed_generation = g->get<long long>();
  }
  c.last_transition_time = j.value("lastTransitionTime", "");
  return c;
}

std::vector<Condition> ConditionsFromJson(const nlohmann::json& array) {
  std::vector<Condition> out;
  if (!array.is_array()) return out;
  for (const auto& j : array) out.push_back(ConditionFromJson(j));
  return out;
}

nlohmann::json ToJson(const std::vector<Condition>& conditions) {
  auto arr = nlohmann::json::array();
  for (const auto& c : conditions) arr.push_back(ToJson(c));
  return arr;
}

bool SetCondition(std::vector<Condition>& conditions, Condition c, std::chrono::system_clock::time_point now) {
  if (c.reason.empty()) c.reason = c.status;
  auto it = std::find_if(conditions.begin(), conditions.end(), [&](const Condition& x) { return x.type == c.type; });
  if (it == conditions.end()) {
    if (c.last_transition_time.empty()) c.last_transition_time = FormatTime(now);
    conditions.push_back(std::move(c));
    return true;
  }
  bool changed = false;
  if (it->status != c.status) {
    it->status = c.status;
    it->last_transition_time = c.last_transition_time.empty() ? FormatTime(now) : c.last_transition_time;
    changed = true;
  }
  if (it->reason != c.reason) { it->reason = c.reason; changed = true; }
  if (it->message != c.message) { it->message = c.message; changed = true; }
  if (it->observed_generation != c.observed_generation) {
    it->observed_generation = c.observed_generation;
    changed = true;
  }
  return changed;
}

bool SetCondition(nlohmann::json& status, Condition c, std::chrono::system_clock::time_point now) {
  if (!status.is_object()) status = nlohmann::json::object();
  auto conds = ConditionsFromJson(status.value("conditions", nlohmann::json::array()));
  bool changed = SetCondition(conds, std::move(c), now);
  if (changed || !status.contains("conditions")) status["conditions"] = ToJson(conds);
  return changed;
}

bool RemoveCondition(std::vector<Condition>& conditions, std::string_view type) {
  auto before = conditions.size();
  std::erase_if(conditions, [&](const Condition& c) { return c.type == type; });
  return conditions.size() != before;
}

const Condition* FindCondition(const std::vector<Condition>& conditions, std::string_view type) {
  for (const auto& c : conditions) {
    if (c.type == type) return &c;
  }
  return nullptr;
}

bool IsConditionTrue(const std::vector<Condition>& conditions, std::string_view type) {
  auto c = FindCondition(conditions, type);
  return c && c->status == kConditionTrue;
}

bool IsConditionFalse(const std::vector<Condition>& conditions, std::string_view type) {
  auto c = FindCondition(conditions, type);
  return c && c->status == kConditionFalse;
}

}  // namespace tenant::api
