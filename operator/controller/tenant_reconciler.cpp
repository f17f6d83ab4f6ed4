#include "operator/controller/tenant_reconciler.hpp"

#include <algorithm>

#include "common/log/log.hpp"
#include "common/pg/error.hpp"
#include "operator/api/condition.hpp"
#include "operator/api/database_server.hpp"
#include "operator/api/duration.hpp"
#include "operator/api/names.hpp"
#include "operator/api/resources.hpp"
#include "operator/controller/placement.hpp"
#include "operator/controller/tenant_context.hpp"
#include "operator/controller/tenant_indexes.hpp"
#include "operator/database/tenant_state.hpp"
#include "operator/kube/errors.hpp"
#include "operator/kube/objects.hpp"
#include "operator/specs/subset.hpp"

namespace tenant::controller {

using nlohmann::json;

namespace {

const log::Logger& Log() {
  static const log::Logger logger("tenant-controller");
  return logger;
}

// Runs `f` when the scope is left, also by an exception.
template <typename F>
class ScopeExit {
 public:
  explicit ScopeExit(F f) : f_(std::move(f)) {}
  ~ScopeExit() { f_(); }
  ScopeExit(const ScopeExit&) = delete;
  ScopeExit& operator=(const ScopeExit&) = delete;

 private:
  F f_;
};

}  // namespace

TenantReconciler::TenantReconciler(std::shared_ptr<kube::Client> client, TenantCaches caches,
                                   std::shared_ptr<kube::EventRecorder> events, std::shared_ptr<ServerRegistry> registry,
                                   TenantReconcilerOptions options, Clock clock)
    : client_(std::move(client)),
      caches_(std::move(caches)),
      events_(std::move(events)),
      registry_(std::move(registry)),
      opts_(std::move(options)),
      clock_(std::move(clock)) {
  auto enqueue = opts_.enqueue;
  hasher_ = std::make_unique<AdminHasher>(opts_.admin_hash_threads, [enqueue](const std::string& key) {
    if (!enqueue) return;
    auto [ns, name] = kube::SplitKey(key);
    enqueue(kube::Request{ns, name});
  });
}

TenantReconciler::~TenantReconciler() = default;

std::chrono::milliseconds TenantReconciler::Backoff(const std::string& key, bool failed) {
  std::lock_guard lock(mu_);
  if (!failed) {
    failures_.erase(key);
    return {};
  }
  int n = std::min(++failures_[key], 7);
  // 5s, 10s, 20s, 40s, ... capped at 5 minutes.
  return std::min<std::chrono::milliseconds>(std::chrono::seconds(5) * (1 << (n - 1)), std::chrono::minutes(5));
}

void TenantReconciler::Event(Context& ctx, bool warning, const std::string& reason, const std::string& action,
                             const std::string& note) {
  if (events_) events_->Event(*ctx.obj, warning ? kube::EventType::kWarning : kube::EventType::kNormal, reason, action, note);
  log::Fields f{{"tenant", ctx.key}, {"reason", reason}, {"action", action}, {"note", note}};
  if (warning) {
    Log().Warn("Tenant event", f);
  } else {
    Log().Info("Tenant event", f);
  }
}

bool TenantReconciler::WriteStatus(Context& ctx) {
  if (ctx.status == ctx.baseline) return false;
  json desired = api::ToJson(ctx.status);
  json updated = kube::UpdateStatusWithRetry(*client_, api::kTenants, ctx.tenant.metadata.namespace_,
                                             ctx.tenant.metadata.name, [&desired](json& obj) {
                                               if (obj.contains("status") && obj["status"] == desired) return false;
                                               obj["status"] = desired;
                                               return true;
                                             });
  // Later writes in this reconcile (finalizer patch) must carry the new resourceVersion.
  if (updated.is_object() && updated.contains("metadata")) ctx.obj = std::make_shared<const json>(std::move(updated));
  ctx.baseline = ctx.status;
  ++ctx.api_writes;
  return true;
}

TenantReconciler::Step TenantReconciler::Admit(Context& ctx) {
  // Provisioned tenants (SchemaReady once reached stays True through spec changes) and
  // an unlimited operator need no slot.
  if (opts_.max_provisioning <= 0 || api::IsConditionTrue(ctx.tenant.status.conditions, kSchemaReady)) {
    return Step::Ok();
  }
  std::lock_guard lock(mu_);
  if (provisioning_.count(ctx.key) > 0) return Step::Ok();
  auto pos = std::find(waiting_.begin(), waiting_.end(), ctx.key);
  if (provisioning_.size() < static_cast<std::size_t>(opts_.max_provisioning)) {
    if (pos != waiting_.end()) waiting_.erase(pos);
    provisioning_.insert(ctx.key);
    return Step::Ok();
  }
  if (pos == waiting_.end()) pos = waiting_.insert(waiting_.end(), ctx.key);
  ctx.queued = true;
  // Re-queued when a slot frees up; the delay is only a safety net. The message stays the
  // same while it waits (a changing position would rewrite the status on every pass).
  return Step::Wait("Queued",
                    "waiting to be provisioned: at most " + std::to_string(opts_.max_provisioning) +
                        " tenants are provisioned at once, the others follow in order",
                    std::chrono::seconds(30));
}

void TenantReconciler::ReleaseSlot(const std::string& key) {
  std::vector<std::string> wake;
  {
    std::lock_guard lock(mu_);
    waiting_.erase(std::remove(waiting_.begin(), waiting_.end(), key), waiting_.end());
    if (provisioning_.erase(key) == 0) return;
    // As many waiting tenants as there are free slots, oldest first; one that finds the
    // slot taken meanwhile waits again.
    while (!waiting_.empty() && provisioning_.size() + wake.size() < static_cast<std::size_t>(opts_.max_provisioning)) {
      wake.push_back(waiting_.front());
      waiting_.pop_front();
    }
  }
  if (!opts_.enqueue) return;
  for (const auto& k : wake) {
    auto [ns, name] = kube::SplitKey(k);
    opts_.enqueue(kube::Request{ns, name});
  }
}

std::optional<json> TenantReconciler::SecretOrLive(const std::string& ns, const std::string& name) {
  if (auto cached = caches_.secrets->Get(ns, name)) return *cached;
  return client_->GetOrNull(kube::resources::kSecrets, ns, name);
}

bool TenantReconciler::ApplyIfChanged(Context& ctx, const kube::Resource& r, const kube::ObjectCache& cache,
                                      const json& desired) {
  const std::string name = desired["metadata"]["name"];
  auto observed = cache.Get(ctx.tenant.metadata.namespace_, name);
  if (observed && !specs::NeedsApply(desired, *observed)) return false;
  client_->Apply(r, ctx.tenant.metadata.namespace_, desired);
  ++ctx.api_writes;
  // Secret contents never appear in notes or logs; only kind and name.
  (observed ? ctx.updated : ctx.created).push_back(r.kind + " " + name);
  return true;
}

void TenantReconciler::DeleteIfPresent(Context& ctx, const kube::Resource& r, const kube::ObjectCache& cache,
                                       const std::string& name) {
  auto observed = cache.Get(ctx.tenant.metadata.namespace_, name);
  if (!observed || !kube::IsControlledBy(*observed, ctx.tenant.metadata.uid)) return;
  try {
    client_->Delete(r, ctx.tenant.metadata.namespace_, name);
  } catch (const kube::NotFoundError&) {
    return;
  }
  ++ctx.api_writes;
  Event(ctx, false, "Deleted", "Delete" + r.kind, "Deleted " + r.kind + " " + name + " (no longer wanted)");
}

std::vector<ServerCandidate> TenantReconciler::Candidates() {
  std::map<std::string, int> counts;
  for (const auto& [server, n] : caches_.tenants->IndexCounts(kIndexPlacedServer)) counts[server] = static_cast<int>(n);
  {
    // Placements made but not yet in the cached status count too.
    std::lock_guard lock(mu_);
    for (const auto& [key, server] : pending_placements_) {
      const auto placed = caches_.tenants->IndexKeys(kIndexPlacedServer, server);
      if (!std::binary_search(placed.begin(), placed.end(), key)) counts[server]++;
    }
  }
  std::vector<ServerCandidate> out;
  for (const auto& obj : caches_.servers->List()) {
    try {
      auto s = api::ParseDatabaseServer(*obj);
      ServerCandidate c;
      c.name = s.metadata.name;
      c.labels = s.metadata.labels;
      auto entry = registry_->Get(c.name);
      c.ready = entry && entry->ready;
      c.max_tenants = s.spec.max_tenants;
      c.tenant_count = counts[c.name];
      out.push_back(std::move(c));
    } catch (const std::exception&) {
      continue;  // an invalid DatabaseServer is reported by its own controller
    }
  }
  return out;
}

kube::Result TenantReconciler::Reconcile(const kube::Request& req, std::stop_token) {
  const auto started = std::chrono::steady_clock::now();
  Context ctx;
  ctx.key = req.Key();
  ctx.obj = caches_.tenants->Get(req.ns, req.name);
  // Whatever path this reconcile takes, a provisioning slot of this tenant is given back at
  // the end (and its place in line, when it no longer waits for one) unless it ends waiting
  // for its first admin's hash (which comes by itself) or still waits for a slot.
  bool keep_slot = false;
  ScopeExit release([&] {
    if (keep_slot || ctx.queued) return;
    try {
      ReleaseSlot(ctx.key);
    } catch (const std::exception& e) {
      Log().Warn("Could not release a provisioning slot", {{"tenant", ctx.key}, {"error", e.what()}});
    }
  });
  if (!ctx.obj) {
    {
      std::lock_guard lock(mu_);
      failures_.erase(ctx.key);
      pending_placements_.erase(ctx.key);
    }
    hasher_->Forget(ctx.key);
    return kube::Result::Success();
  }
  ctx.now = clock_();
  try {
    ctx.tenant = api::ParseTenant(*ctx.obj);
  } catch (const api::InvalidObject& e) {
    // A spec the CRD should have rejected: report it and wait for the object to change.
    try {
      ctx.tenant.metadata = api::ParseObjectMeta(*ctx.obj);
      if (ctx.obj->contains("status")) ctx.status = api::ParseTenantStatus((*ctx.obj)["status"]);
    } catch (const std::exception&) {
    }
    ctx.baseline = ctx.status;
    SetCond(ctx, kStalled, api::kConditionTrue, "InvalidSpec", e.what());
    SetCond(ctx, kReady, api::kConditionFalse, "InvalidSpec", e.what());
    SetCond(ctx, kReconciling, api::kConditionFalse, "InvalidSpec", "the spec must be fixed");
    ctx.status.observed_generation = ctx.tenant.metadata.generation;
    WriteStatus(ctx);
    return kube::Result::Terminal(e.what());
  }
  ctx.status = ctx.tenant.status;
  ctx.baseline = ctx.status;
  ctx.names = database::TenantNames::For(ctx.tenant.spec.tenant_id);
  const long long generation = ctx.tenant.metadata.generation;

  if (ctx.tenant.metadata.deletion_timestamp) return Finalize(ctx);

  // 0. First sight: a CR without status looks healthy to kstatus/Argo CD; say otherwise now
  // (in the same write as the placement when the tenant is not suspended).
  const bool first_sight = api::FindCondition(ctx.status.conditions, kReady) == nullptr;
  if (first_sight) {
    SetCond(ctx, kReady, api::kConditionUnknown, "Provisioning", "the operator has started provisioning this tenant");
    SetCond(ctx, kReconciling, api::kConditionTrue, "Provisioning", "provisioning database, credentials, schema and API");
    SetCond(ctx, kStalled, api::kConditionFalse, "Provisioning", "no problem found");
    for (const char* part : {kDatabaseReady, kCredentialsReady, kSchemaReady, kApiReady}) {
      SetCond(ctx, part, api::kConditionUnknown, "Pending", "not reconciled yet");
    }
    ctx.status.observed_generation = generation;
    if (ctx.tenant.spec.suspend) WriteStatus(ctx);
  }

  if (ctx.tenant.spec.suspend) {
    SetCond(ctx, kReconciling, api::kConditionFalse, "Suspended",
            "spec.suspend is true: the operator changes nothing for this tenant");
    if (auto dep = caches_.deployments->Get(ctx.tenant.metadata.namespace_, api::ApiName(ctx.tenant.metadata.name))) {
      const json st = dep->value("status", json::object());
      ctx.status.api.ready_replicas = st.value("readyReplicas", 0);
      ctx.status.api.replicas = st.value("replicas", 0);
    }
    ctx.status.observed_generation = generation;
    WriteStatus(ctx);
    return kube::Result::Success();
  }

  // 1. Finalizer before anything outside Kubernetes exists.
  if (!kube::HasFinalizer(*ctx.obj, api::kFinalizer)) {
    const auto t = std::chrono::steady_clock::now();
    json updated = kube::AddFinalizer(*client_, api::kTenants, *ctx.obj, api::kFinalizer);
    ++ctx.api_writes;
    if (updated.is_object()) ctx.obj = std::make_shared<const json>(std::move(updated));
    ctx.phases.emplace_back("finalizer", std::chrono::steady_clock::now() - t);
  }

  Step step;
  auto timed = [&ctx](const char* phase, auto&& fn) {
    const auto t = std::chrono::steady_clock::now();
    Step s = fn();
    ctx.phases.emplace_back(phase, std::chrono::steady_clock::now() - t);
    return s;
  };
  try {
    step = timed("placement", [&] { return Placement(ctx); });
    if (step.ok()) step = Admit(ctx);
    if (step.ok() && ctx.placement_unsaved) {
      // Persist the placement before PostgreSQL is touched (see Placement).
      WriteStatus(ctx);
      ctx.placement_unsaved = false;
    }
    if (step.ok()) step = timed("database", [&] { return EnsureDatabase(ctx); });
    if (step.ok()) step = timed("credentials", [&] { return EnsureCredentials(ctx); });
    if (step.ok()) step = timed("schema", [&] { return EnsureSchema(ctx); });
    if (step.ok()) step = timed("api", [&] { return EnsureApi(ctx); });
    if (step.ok() && ctx.admin_pending) {
      // The hasher re-queues the tenant when the hash is ready; the delay is a safety net.
      step = Step::Wait("SeedingAdmin", "creating the first admin user", std::chrono::seconds(30));
    }
  } catch (const pg::ConnectionError& e) {
    step = Step::Fail("DatabaseUnreachable",
                      e.message().rfind("could not connect", 0) == 0
                          ? e.message()
                          : "could not connect to " + ctx.server.host + ":" + std::to_string(ctx.server.port) + ": " +
                                e.message());
  } catch (const pg::Error& e) {
    step = Step::Fail("DatabaseError", e.what());
  } catch (const kube::ApiError& e) {
    step = Step::Fail("KubernetesApiError", e.what());
  } catch (const std::exception& e) {
    step = Step::Fail("ReconcileError", e.what());
  }

  keep_slot = ctx.admin_pending && (step.kind == Step::Kind::kOk || step.kind == Step::Kind::kWait);
  kube::Result result = kube::Result::Success();
  switch (step.kind) {
    case Step::Kind::kOk: {
      Backoff(ctx.key, false);
      SetCond(ctx, kReady, api::kConditionTrue, "Ready",
              "database " + ctx.names.database + " on " + ctx.status.database.server + ", schema version " +
                  std::to_string(ctx.status.database.schema_version.value_or(0)) + ", " +
                  std::to_string(ctx.status.api.ready_replicas.value_or(0)) + " API replica(s) ready");
      SetCond(ctx, kReconciling, api::kConditionFalse, "Ready", "the tenant matches its spec");
      SetCond(ctx, kStalled, api::kConditionFalse, "Ready", "no problem found");
      if (ctx.requeue) result = kube::Result::RequeueAfter(*ctx.requeue);
      break;
    }
    case Step::Kind::kWait: {
      Backoff(ctx.key, false);
      SetCond(ctx, kReady, api::kConditionFalse, step.reason, step.message);
      SetCond(ctx, kReconciling, api::kConditionTrue, step.reason, step.message);
      SetCond(ctx, kStalled, api::kConditionFalse, step.reason, "waiting, not stuck");
      ctx.RequeueWithin(step.requeue);
      result = kube::Result::RequeueAfter(*ctx.requeue);
      break;
    }
    case Step::Kind::kFail: {
      auto delay = Backoff(ctx.key, true);
      std::string message = step.message + "; retrying in " + api::FormatDuration(delay);
      SetCond(ctx, ctx.part, api::kConditionFalse, step.reason, message);
      SetCond(ctx, kReady, api::kConditionFalse, step.reason, message);
      SetCond(ctx, kReconciling, api::kConditionTrue, step.reason, message);
      SetCond(ctx, kStalled, api::kConditionFalse, step.reason, "retrying");
      Event(ctx, true, step.reason, "Reconcile", step.message);
      result = kube::Result::RequeueAfter(delay);
      break;
    }
    case Step::Kind::kStall: {
      Backoff(ctx.key, false);
      SetCond(ctx, ctx.part, api::kConditionFalse, step.reason, step.message);
      SetCond(ctx, kReady, api::kConditionFalse, step.reason, step.message);
      SetCond(ctx, kReconciling, api::kConditionFalse, step.reason, "stalled: needs a change by an admin");
      SetCond(ctx, kStalled, api::kConditionTrue, step.reason, step.message);
      Event(ctx, true, step.reason, "Reconcile", step.message);
      result = kube::Result::Terminal(step.message);
      break;
    }
  }
  // One Event per verb for the objects applied in this reconcile (a new tenant gets one
  // "Created" Event listing its Secrets and workload, not six).
  auto list = [](const std::vector<std::string>& v) {
    std::string out;
    for (const auto& x : v) out += (out.empty() ? "" : ", ") + x;
    return out;
  };
  if (!ctx.created.empty()) Event(ctx, false, "Created", "Apply", "Created " + list(ctx.created));
  if (!ctx.updated.empty()) Event(ctx, false, "Updated", "Apply", "Updated " + list(ctx.updated));
  ctx.status.observed_generation = generation;
  const auto status_start = std::chrono::steady_clock::now();
  WriteStatus(ctx);
  if (log::Enabled(log::Level::kDebug)) {
    auto ms = [](std::chrono::steady_clock::duration d) {
      return std::chrono::duration_cast<std::chrono::microseconds>(d).count() / 1000.0;
    };
    log::Fields f{{"tenant", ctx.key}, {"outcome", step.ok() ? std::string("Ok") : step.reason}};
    for (const auto& [phase, d] : ctx.phases) f.emplace_back(std::string(phase) + "_ms", ms(d));
    f.emplace_back("status_ms", ms(std::chrono::steady_clock::now() - status_start));
    f.emplace_back("total_ms", ms(std::chrono::steady_clock::now() - started));
    f.emplace_back("api_writes", ctx.api_writes);
    Log().Debug("Reconciled Tenant", f);
  }
  return result;
}

kube::Result TenantReconciler::Finalize(Context& ctx) {
  if (!kube::HasFinalizer(*ctx.obj, api::kFinalizer)) return kube::Result::Success();
  std::string server = ctx.status.database.server;
  {
    std::lock_guard lock(mu_);
    auto it = pending_placements_.find(ctx.key);
    if (server.empty() && it != pending_placements_.end()) server = it->second;
  }
  auto fail = [&](const std::string& reason, const std::string& message) {
    auto delay = Backoff(ctx.key, true);
    std::string full = message + "; retrying in " + api::FormatDuration(delay);
    SetCond(ctx, kDatabaseReady, api::kConditionFalse, reason, full);
    SetCond(ctx, kReady, api::kConditionFalse, reason, full);
    SetCond(ctx, kReconciling, api::kConditionTrue, reason, full);
    Event(ctx, true, reason, "Delete", message);
    try {
      WriteStatus(ctx);
    } catch (const std::exception&) {
    }
    return kube::Result::RequeueAfter(delay);
  };
  if (!server.empty()) {
    auto entry = registry_->Get(server);
    if (!entry || !entry->ready || !entry->executor) {
      return fail("DeletionBlocked", "cannot clean up " + ctx.names.database + ": DatabaseServer " + server +
                                         " is not ready" + (entry && !entry->message.empty() ? " (" + entry->message + ")" : ""));
    }
    ctx.server = *entry;
    auto& exec = *entry->executor;
    try {
      const auto observed = database::ParseTenantDbState(exec.Query("", database::ObserveTenantDb(ctx.names)));
      if (ctx.tenant.spec.database.deletion_policy == api::DeletionPolicy::kRetain) {
        if (observed.database_exists) {
          exec.Execute("", database::CommentOnDatabase(
                               ctx.names, database::OrphanedComment(ctx.tenant.metadata.namespace_, ctx.tenant.metadata.name,
                                                                    ctx.tenant.metadata.uid, api::FormatTime(ctx.now))));
        }
        Event(ctx, false, "DatabaseRetained", "Delete",
              "kept database " + ctx.names.database + " and its roles on " + server +
                  " (deletionPolicy Retain); its comment marks it orphaned");
      } else {
        std::vector<std::string> existing;
        std::vector<database::Statement> grants;
        for (const auto& [name, role] : {std::pair{&ctx.names.owner_role, &observed.owner},
                                         std::pair{&ctx.names.login_a, &observed.login_a},
                                         std::pair{&ctx.names.login_b, &observed.login_b}}) {
          if (!role->exists) continue;
          existing.push_back(*name);
          // A non-superuser admin needs the roles' privileges to drop their database,
          // end their sessions and REASSIGN/DROP OWNED.
          if (!observed.admin_superuser && !role->admin_member) grants.push_back(database::GrantRoleToAdmin(*name));
        }
        exec.ExecuteAll("", grants);
        for (const auto& st : database::DropTenantStatements(ctx.names, observed.database_exists, existing)) {
          exec.Execute("", st);
        }
        // Verify rather than assume: a step that silently did nothing must not pass.
        const auto after = database::ParseTenantDbState(exec.Query("", database::ObserveTenantDb(ctx.names)));
        if (after.database_exists || after.owner.exists || after.login_a.exists || after.login_b.exists) {
          throw std::runtime_error("database or roles still present after DROP");
        }
        Event(ctx, false, "DatabaseDeleted", "Delete",
              "dropped database " + ctx.names.database + " and roles " + ctx.names.owner_role + ", " +
                  ctx.names.login_a + ", " + ctx.names.login_b + " on " + server);
      }
    } catch (const pg::ConnectionError& e) {
      return fail("DatabaseUnreachable", "could not connect to " + entry->host + ":" + std::to_string(entry->port) +
                                             ": " + e.message());
    } catch (const std::exception& e) {
      return fail("DeletionFailed", std::string("cleaning up ") + ctx.names.database + " failed: " + e.what());
    }
  }
  kube::RemoveFinalizer(*client_, api::kTenants, *ctx.obj, api::kFinalizer);
  {
    std::lock_guard lock(mu_);
    failures_.erase(ctx.key);
    pending_placements_.erase(ctx.key);
    schema_checked_.erase(ctx.tenant.metadata.uid);
  }
  hasher_->Forget(ctx.key);
  return kube::Result::Success();
}

}  // namespace tenant::controller
