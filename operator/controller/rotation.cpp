#include "operator/controller/rotation.hpp"

#include <ctime>

#include "operator/api/duration.hpp"
#include "operator/api/names.hpp"

namespace tenant::controller {

std::optional<std::chrono::system_clock::time_point> ParseTime(const std::string& text) {
  std::tm tm{};
  int y, mo, d, h, mi, s;
  if (std::sscanf(text.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d", &y, &mo, &d, &h, &mi, &s) != 6) return std::nullopt;
  if (text.empty() || text.back() != 'Z') return std::nullopt;
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = s;
  return std::chrono::system_clock::from_time_t(timegm(&tm));
}

std::string OtherRole(const std::string& tenant_id, const std::string& role) {
  return role == api::LoginRoleA(tenant_id) ? api::LoginRoleB(tenant_id) : api::LoginRoleA(tenant_id);
}

RotationDecision DecideRotation(const api::Tenant& t, const specs::CredentialsState& state, bool rollout_complete,
                                std::chrono::system_clock::time_point now) {
  RotationDecision out;
  if (!state.retiring_role.empty()) {
    out.action = rollout_complete ? RotationAction::kRetireOldRole : RotationAction::kAwaitRollout;
    out.why = "rotation to a new login role in progress";
    return out;
  }
  auto ann = t.metadata.annotations.find(std::string(api::kRotateAnnotation));
  if (ann != t.metadata.annotations.end() && !ann->second.empty() && ann->second != state.rotation_request) {
    out.action = RotationAction::kRotate;
    out.why = "annotation " + std::string(api::kRotateAnnotation) + " changed to \"" + ann->second + "\"";
    return out;
  }
  if (t.spec.credentials.rotation_period) {
    auto period = *t.spec.credentials.rotation_period;
    auto rotated = ParseTime(state.rotated_at);
    if (!rotated) {
      // No record of when the password was set: start the clock now rather than rotating.
      return out;
    }
    auto due = *rotated + period;
    if (now >= due) {
      out.action = RotationAction::kRotate;
      out.why = "rotationPeriod " + api::FormatDuration(period) + " elapsed";
    } else {
      out.next_check = std::chrono::duration_cast<std::chrono::milliseconds>(due - now);
    }
  }
  return out;
}

bool RolloutComplete(const nlohmann::json& d, const std::string& credentials_version) {
  if (!d.is_object()) return false;
  const auto& meta = d.value("metadata", nlohmann::json::object());
  const auto& spec = d.value("spec", nlohmann::json::object());
  const auto& status = d.value("status", nlohmann::json::object());
  const auto tmpl_ann = spec.value("template", nlohmann::json::object())
                            .value("metadata", nlohmann::json::object())
                            .value("annotations", nlohmann::json::object());
  if (tmpl_ann.value(std::string(api::kCredentialsVersionAnnotation), std::string()) != credentials_version) return false;
  long long generation = meta.value("generation", 0LL);
  if (status.value("observedGeneration", 0LL) < generation) return false;
  long long wanted = spec.value("replicas", 1LL);
  long long updated = status.value("updatedReplicas", 0LL);
  long long available = status.value("availableReplicas", 0LL);
  long long total = status.value("replicas", 0LL);
  // All pods are of the new template (no old pod left) and the wanted ones are available.
  return updated >= wanted && available >= wanted && total <= updated;
}

}  // namespace tenant::controller
