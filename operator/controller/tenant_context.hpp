#pragma once
// Internal to the Tenant reconciler: the per-reconcile working state and step outcome.
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "operator/api/condition.hpp"
#include "operator/api/tenant.hpp"
#include "operator/controller/server_registry.hpp"
#include "operator/controller/tenant_reconciler.hpp"
#include "operator/database/statements.hpp"
#include "operator/kube/store.hpp"
#include "operator/specs/secrets.hpp"

namespace tenant::controller {

struct TenantReconciler::Step {
  enum class Kind { kOk, kWait, kFail, kStall };
  Kind kind = Kind::kOk;
  std::string reason;
  std::string message;
  std::chrono::milliseconds requeue{0};

  static Step Ok() { return {}; }
  static Step Wait(std::string reason, std::string message, std::chrono::milliseconds after) {
    return {Kind::kWait, std::move(reason), std::move(message), after};
  }
  static Step Fail(std::string reason, std::string message) { return {Kind::kFail, std::move(reason), std::move(message), {}}; }
  static Step Stall(std::string reason, std::string message) { return {Kind::kStall, std::move(reason), std::move(message), {}}; }
  bool ok() const { return kind == Kind::kOk; }
};

struct TenantReconciler::Context {
  std::string key;
  kube::ObjectPtr obj;
  api::Tenant tenant;
  api::TenantStatus status;    // working copy, written once at the end
  api::TenantStatus baseline;  // what the API server has (skip no-op writes)
  std::string part = kDatabaseReady;  // condition of the step running (for exceptions)
  std::string admin_username;
  std::string admin_password;
  bool admin_password_generated = false;  // made in this reconcile (not read from the Secret)
  std::chrono::system_clock::time_point now;
  database::TenantNames names;
  ServerEntry server;
  std::vector<std::string> created_roles;
  bool database_created = false;
  bool admin_superuser = true;  // the DatabaseServer's admin role
  bool admin_pending = false;   // migrated, first admin waiting for its bcrypt hash
  bool placement_unsaved = false;  // placed in this reconcile, status not yet written
  bool queued = false;             // waits for a provisioning slot (Admit)
  // Objects applied in this reconcile, reported as one Event per verb at the end.
  std::vector<std::string> created, updated;
  specs::DbConnection connection;
  std::string credentials_version;
  std::optional<std::chrono::milliseconds> requeue;  // smallest wanted requeue
  int api_writes = 0;
  // Wall time of each step of this reconcile, for the debug line that ends it.
  std::vector<std::pair<const char*, std::chrono::steady_clock::duration>> phases;

  void RequeueWithin(std::chrono::milliseconds d) {
    if (!requeue || d < *requeue) requeue = d;
  }
};

// Sets one condition on the working status (lastTransitionTime moves only on change).
inline void SetCond(TenantReconciler::Context& ctx, const std::string& type, std::string_view status,
                    std::string reason, std::string message) {
  api::Condition c;
  c.type = type;
  c.status = std::string(status);
  c.reason = std::move(reason);
  c.message = std::move(message);
  c.observed_generation = ctx.tenant.metadata.generation;
  api::SetCondition(ctx.status.conditions, std::move(c), ctx.now);
}

}  // namespace tenant::controller
