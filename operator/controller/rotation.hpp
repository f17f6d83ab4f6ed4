#pragma once
// Credential rotation decisions (pure). Rotation flips the login role between _a and _b:
// the inactive role gets a new password, <tenant>-db points at it, the Deployment rolls,
// and only after the rollout completes the old role loses its password and sessions.
#include <chrono>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "operator/api/tenant.hpp"
#include "operator/specs/secrets.hpp"

namespace tenant::controller {

enum class RotationAction {
  kNone,            // nothing to do
  kRotate,          // set a new password on the other role and switch the Secret to it
  kAwaitRollout,    // a rotation is in flight; the Deployment has not finished rolling
  kRetireOldRole,   // rollout done: remove the old role's password, end its sessions
};

struct RotationDecision {
  RotationAction action = RotationAction::kNone;
  std::string why;  // "rotationPeriod 720h elapsed", "annotation tenancy.erp.dev/rotate-credentials changed"
  std::optional<std::chrono::milliseconds> next_check;  // when a periodic rotation falls due
};

// `rollout_complete`: RolloutComplete() of the current Deployment.
RotationDecision DecideRotation(const api::Tenant& t, const specs::CredentialsState& state, bool rollout_complete,
                                std::chrono::system_clock::time_point now);

// The other login role of the pair.
std::string OtherRole(const std::string& tenant_id, const std::string& role);

// True when the Deployment runs only pods of its current template carrying
// `credentials_version` and all wanted replicas are updated and available.
bool RolloutComplete(const nlohmann::json& deployment, const std::string& credentials_version);

// Parses RFC 3339 "2026-11-29T04:00:00Z" (UTC, optional fraction). nullopt when malformed.
std::optional<std::chrono::system_clock::time_point> ParseTime(const std::string& text);

}  // namespace tenant::controller
