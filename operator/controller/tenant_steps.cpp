// The ordered Ensure* steps of the Tenant reconciler. Each observes first and writes only
// what differs, so repeated reconciles converge without churn.
#include <algorithm>

#include "common/migrations/migration_set.hpp"
#include "operator/api/condition.hpp"
#include "operator/api/duration.hpp"
#include "operator/api/names.hpp"
#include "operator/api/resources.hpp"
#include "operator/controller/placement.hpp"
#include "operator/controller/rotation.hpp"
#include "operator/controller/tenant_context.hpp"
#include "common/auth/password.hpp"
#include "operator/database/random.hpp"
#include "operator/database/tenant_state.hpp"
#include "operator/kube/objects.hpp"
#include "operator/specs/workload.hpp"

namespace tenant::controller {

using nlohmann::json;
using Step = TenantReconciler::Step;

namespace {
bool Contains(const std::vector<std::string>& v, const std::string& x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

bool DeploymentAvailable(const json& d) {
  const json conds = d.value("status", json::object()).value("conditions", json::array());
  for (const auto& c : conds) {
    if (c.value("type", "") == "Available") return c.value("status", "") == "True";
  }
  return false;
}
}  // namespace

unsigned TenantReconciler::AdminBcryptCost(const Context& ctx) const {
  return ctx.admin_password_generated ? opts_.generated_admin_bcrypt_cost : opts_.bcrypt_cost;
}

Step TenantReconciler::Placement(Context& ctx) {
  ctx.part = kDatabaseReady;
  {
    std::lock_guard lock(mu_);
    auto it = pending_placements_.find(ctx.key);
    if (ctx.tenant.status.database.server.empty() && it != pending_placements_.end()) {
      ctx.tenant.status.database.server = it->second;
    }
  }
  // A placed tenant keeps its server: no candidates needed, and counting every Tenant's
  // placement on each reconcile made a resync of N tenants cost N².
  const bool placed = !ctx.tenant.status.database.server.empty();
  controller::Placement p = Place(ctx.tenant, placed ? std::vector<ServerCandidate>{} : Candidates());
  if (p.server.empty()) {
    SetCond(ctx, kDatabaseReady, api::kConditionFalse, p.reason, p.message);
    if (p.stalled) return Step::Stall(p.reason, p.message);
    return Step::Wait(p.reason, p.message, std::chrono::seconds(30));
  }
  if (ctx.status.database.server.empty()) {
    {
      std::lock_guard lock(mu_);
      pending_placements_[ctx.key] = p.server;
    }
    ctx.status.database.server = p.server;
    ctx.status.database.name = ctx.names.database;
    Event(ctx, false, "Placed", "Place", "placed on DatabaseServer " + p.server);
    // Written before PostgreSQL is touched (Reconcile does it once the tenant is admitted):
    // the placement must survive a crash so the database is never created on a second
    // server.
    ctx.placement_unsaved = true;
  }
  auto entry = registry_->Get(p.server);
  if (!entry || !entry->ready || !entry->executor) {
    // Say what is wrong with the server itself (e.g. DatabaseUnreachable with libpq's
    // message), not just that it is not ready.
    const auto retry = entry ? std::chrono::seconds(10) : std::chrono::seconds(1);
    std::string reason = entry && !entry->reason.empty() ? entry->reason : "DatabaseServerNotReady";
    std::string msg = entry && !entry->message.empty()
                          ? entry->message + " (DatabaseServer " + p.server + "); retrying in " + api::FormatDuration(retry)
                          : "DatabaseServer " + p.server + " has not been checked yet";
    SetCond(ctx, kDatabaseReady, api::kConditionFalse, reason, msg);
    return Step::Wait(reason, msg, retry);
  }
  ctx.server = *entry;
  return Step::Ok();
}

Step TenantReconciler::EnsureDatabase(Context& ctx) {
  ctx.part = kDatabaseReady;
  auto& exec = *ctx.server.executor;
  const auto& n = ctx.names;
  const auto& spec = ctx.tenant.spec.database;

  // One round trip reads roles, memberships and the database; writes only what differs
  // (on an unchanged tenant: none), so this runs on every reconcile and every resync.
  const database::TenantDbState state = database::ParseTenantDbState(exec.Query("", database::ObserveTenantDb(n)));
  const database::DesiredDb want{
      spec.connection_limit,
      database::ManagedComment(ctx.tenant.metadata.namespace_, ctx.tenant.metadata.name, ctx.tenant.metadata.uid)};
  const database::DbPlan plan = database::PlanTenantDb(n, state, want);
  ctx.admin_superuser = state.admin_superuser;
  ctx.created_roles = plan.created_roles;
  exec.ExecuteAll("", plan.roles);
  if (plan.create_database) {
    const auto t = std::chrono::steady_clock::now();
    exec.Execute("", database::CreateDatabase(n, spec.connection_limit));
    ctx.database_created = true;
    ctx.phases.emplace_back("create_database", std::chrono::steady_clock::now() - t);
  }
  exec.ExecuteAll("", plan.database);
  if (ctx.database_created) {
    Event(ctx, false, "DatabaseCreated", "CreateDatabase",
          "created database " + n.database + " on " + ctx.server.name + " owned by " + n.owner_role);
  } else if (!plan.repaired.empty()) {
    std::string list;
    for (const auto& r : plan.repaired) list += (list.empty() ? "" : "; ") + r;
    Event(ctx, false, "DatabaseRepaired", "RepairDatabase", "restored " + list + " of " + n.database);
  }
  ctx.status.database.name = n.database;
  SetCond(ctx, kDatabaseReady, api::kConditionTrue, "Provisioned",
          "database " + n.database + " on DatabaseServer " + ctx.server.name + " (connection limit " +
              std::to_string(spec.connection_limit) + ")");
  return Step::Ok();
}

Step TenantReconciler::EnsureCredentials(Context& ctx) {
  ctx.part = kCredentialsReady;
  const auto& t = ctx.tenant;
  const std::string& ns = t.metadata.namespace_;
  auto& exec = *ctx.server.executor;
  const std::string db_secret_name = api::DbSecretName(t.metadata.name);

  auto db_secret = SecretOrLive(ns, db_secret_name);
  auto data = db_secret ? specs::DecodeSecretData(*db_secret) : std::map<std::string, std::string>{};
  specs::CredentialsState state = db_secret ? specs::ParseCredentialsState(*db_secret) : specs::CredentialsState{};
  std::string active = data["username"];
  std::string password = data["password"];
  if (active != ctx.names.login_a && active != ctx.names.login_b) active.clear();
  const auto ann = t.metadata.annotations.find(std::string(api::kRotateAnnotation));
  const std::string rotate_request = ann == t.metadata.annotations.end() ? "" : ann->second;

  bool need_password = active.empty() || password.size() < 32 || Contains(ctx.created_roles, active);
  std::string message;
  if (need_password) {
    if (active.empty()) active = ctx.names.login_a;
    password = database::GeneratePassword();
    exec.Execute("", database::SetPassword(active, exec.ScramVerifier(active, password)));
    state.rotated_at = api::FormatTime(ctx.now);
    state.rotation_request = rotate_request;
    state.retiring_role.clear();
    Event(ctx, false, db_secret ? "CredentialsRepaired" : "CredentialsCreated", "SetPassword",
          "set a new password on " + active + (db_secret ? " (the Secret or the role had been changed)" : ""));
    message = "Secret " + db_secret_name + " holds the credentials of " + active;
  } else {
    auto deployment = caches_.deployments->Get(ns, api::ApiName(t.metadata.name));
    const std::string version = specs::CredentialsVersion(active, password);
    RotationDecision d = DecideRotation(t, state, deployment && RolloutComplete(*deployment, version), ctx.now);
    switch (d.action) {
      case RotationAction::kRotate: {
        // Decide on the live Secret, never on a possibly stale cache: a second rotation
        // on stale data would strand the pods on a password that no longer exists.
        auto live = client_->GetOrNull(kube::resources::kSecrets, ns, db_secret_name);
        if (!live || specs::ParseCredentialsState(*live) != state || specs::DecodeSecretData(*live) != data) {
          return Step::Wait("CacheSyncing", "waiting for the Secret cache to catch up", std::chrono::seconds(1));
        }
        const std::string next = OtherRole(t.spec.tenant_id, active);
        const std::string next_password = database::GeneratePassword();
        exec.Execute("", database::SetPassword(next, exec.ScramVerifier(next, next_password)));
        state.retiring_role = active;
        state.rotated_at = api::FormatTime(ctx.now);
        if (!rotate_request.empty()) state.rotation_request = rotate_request;
        Event(ctx, false, "CredentialsRotated", "RotateCredentials",
              "switched " + db_secret_name + " from " + active + " to " + next + " (" + d.why +
                  "); the old role keeps working until the API rollout completes");
        active = next;
        password = next_password;
        ctx.RequeueWithin(opts_.rollout_poll);
        message = "rotating: waiting for the API rollout before retiring " + state.retiring_role;
        break;
      }
      case RotationAction::kAwaitRollout:
        ctx.RequeueWithin(opts_.rollout_poll);
        message = "rotating: waiting for the API rollout before retiring " + state.retiring_role;
        break;
      case RotationAction::kRetireOldRole: {
        const std::string old = state.retiring_role;
        exec.Execute("", database::RemovePassword(old));
        exec.Execute("", database::TerminateRoleSessions(old));
        state.retiring_role.clear();
        Event(ctx, false, "OldCredentialsRetired", "RotateCredentials",
              "removed the password of " + old + " and ended its sessions after the rollout completed");
        message = "Secret " + db_secret_name + " holds the credentials of " + active;
        break;
      }
      case RotationAction::kNone:
        if (d.next_check) ctx.RequeueWithin(*d.next_check);
        message = "Secret " + db_secret_name + " holds the credentials of " + active;
        break;
    }
  }
  ctx.connection = specs::DbConnection{ctx.server.host,  ctx.server.port,     ctx.names.database, active,
                                       password,          ctx.server.ssl_mode, ctx.server.ca_pem};
  ctx.credentials_version = specs::CredentialsVersion(active, password);
  ApplyIfChanged(ctx, kube::resources::kSecrets, *caches_.secrets, specs::BuildDbSecret(t, ctx.connection, state));

  auto api_secret = SecretOrLive(ns, api::ApiSecretName(t.metadata.name));
  std::string jwt = api_secret ? specs::DecodeSecretData(*api_secret)[specs::kJwtKey] : "";
  if (jwt.size() < 32) jwt = database::GenerateJwtSigningKey();
  ApplyIfChanged(ctx, kube::resources::kSecrets, *caches_.secrets, specs::BuildApiSecret(t, jwt));

  auto admin_secret = SecretOrLive(ns, api::AdminSecretName(t.metadata.name));
  auto admin = admin_secret ? specs::DecodeSecretData(*admin_secret) : std::map<std::string, std::string>{};
  ctx.admin_username = admin["username"].empty() ? opts_.admin_username : admin["username"];
  ctx.admin_password_generated = admin["password"].size() < 12;
  ctx.admin_password = ctx.admin_password_generated ? database::GenerateAdminPassword() : admin["password"];
  ApplyIfChanged(ctx, kube::resources::kSecrets, *caches_.secrets,
                 specs::BuildAdminSecret(t, ctx.admin_username, ctx.admin_password));
  // A new tenant will need its first admin's bcrypt hash after the migrations: start it
  // now on the hasher's threads so it is made while the schema is migrated and the
  // Deployment rolls out.
  if (opts_.admin_hash_threads > 0 && !api::IsConditionTrue(t.status.conditions, kSchemaReady)) {
    hasher_->Get(ctx.key, ctx.admin_username, ctx.admin_password, AdminBcryptCost(ctx));
  }

  ctx.status.credentials = {db_secret_name, active, state.rotated_at};
  SetCond(ctx, kCredentialsReady, api::kConditionTrue, state.retiring_role.empty() ? "Ready" : "Rotating", message);
  return Step::Ok();
}

Step TenantReconciler::EnsureSchema(Context& ctx) {
  ctx.part = kSchemaReady;
  const auto& t = ctx.tenant;
  const auto& set = migrations::Embedded();
  const int latest = set.latest();
  const int target = t.spec.database.schema_version.value_or(latest);
  if (target > latest) {
    return Step::Stall("UnknownSchemaVersion", "spec.database.schemaVersion " + std::to_string(target) +
                                                   " is newer than the newest bundled migration " + std::to_string(latest));
  }
  // What this process verified for this tenant (uid) lately: the schema at `target` for
  // this generation, and whether the tenant has users. While it is fresh, an unchanged
  // tenant needs no tenant-database connection at all, and a tenant waiting only for its
  // first admin's hash needs just the insert once the hash exists (a burst of new tenants
  // re-verified its schema on every pass, one new connection each).
  const std::string check_key = t.metadata.uid;
  std::optional<SchemaCheck> known;
  {
    std::lock_guard lock(mu_);
    auto it = schema_checked_.find(check_key);
    if (it != schema_checked_.end() && ctx.now - it->second.at < opts_.schema_recheck &&
        it->second.generation == t.metadata.generation && it->second.version == target && !ctx.database_created) {
      known = it->second;
    }
  }
  const bool reported_ready = ctx.status.database.schema_version == target &&
                              t.status.observed_generation == t.metadata.generation &&
                              api::IsConditionTrue(t.status.conditions, kSchemaReady);
  if (known && known->has_users && reported_ready) return Step::Ok();

  auto& exec = *ctx.server.executor;
  const std::string& db = ctx.names.database;
  bool has_users = known && known->has_users;
  bool audit_log = !known || known->audit_log;
  if (!known) {
    if (auto failed = VerifySchema(ctx, target)) return *failed;
    // One query answers both: are there users, and does audit_log exist yet (a tenant
    // pinned to an older schemaVersion has users but no audit_log).
    const database::Rows users = exec.Query(db, database::CountUsers());
    has_users = users.Int(0, "count", -1) != 0;
    audit_log = users.Bool(0, "audit_log");
    std::lock_guard lock(mu_);
    schema_checked_[check_key] = SchemaCheck{ctx.now, t.metadata.generation, target, has_users, audit_log};
  }
  ctx.status.database.schema_version = target;

  // First admin user, only while the tenant has no users at all. Its bcrypt hash is made
  // off the worker; until it exists the tenant waits (re-queued when ready).
  if (!has_users) {
    // A job started for a generated password keeps its cost when a later reconcile asks
    // again (the password then comes from the Secret); after an operator restart the
    // origin is unknown and the production cost is used.
    AdminHasher::Outcome admin = hasher_->Get(ctx.key, ctx.admin_username, ctx.admin_password, AdminBcryptCost(ctx));
    if (!admin.error.empty()) {
      return Step::Stall("InvalidAdminCredentials", "the first admin user in Secret " +
                                                        api::AdminSecretName(t.metadata.name) +
                                                        " cannot be created: " + admin.error);
    }
    if (!admin.user) {
      ctx.admin_pending = true;
      SetCond(ctx, kSchemaReady, api::kConditionFalse, "SeedingAdmin",
              "schema at version " + std::to_string(target) + "; creating the first admin user");
      return Step::Ok();
    }
    // Inserts only while there are no users (checked in the same statement).
    if (!exec.Query(db, database::SeedFirstAdmin(*admin.user, audit_log)).empty()) {
      Event(ctx, false, "AdminSeeded", "SeedAdmin",
            "created the first admin user \"" + admin.user->username + "\" (password in Secret " +
                api::AdminSecretName(t.metadata.name) + ")");
    }
    std::lock_guard lock(mu_);
    auto it = schema_checked_.find(check_key);
    if (it != schema_checked_.end()) it->second.has_users = true;
  }
  hasher_->Forget(ctx.key);
  SetCond(ctx, kSchemaReady, api::kConditionTrue, "Migrated", "schema at version " + std::to_string(target));
  return Step::Ok();
}

std::optional<Step> TenantReconciler::VerifySchema(Context& ctx, int target) {
  const auto& t = ctx.tenant;
  auto& exec = *ctx.server.executor;
  const std::string& db = ctx.names.database;
  // The owner role must own schema public (or migrations hit "permission denied for
  // schema public"), and PUBLIC gets nothing in it. A database created in this reconcile
  // (from template0) is known to need both; an existing one is looked at first.
  std::vector<database::Statement> fixes;
  if (ctx.database_created) {
    fixes = {database::AlterPublicSchemaOwner(ctx.names), database::RevokePublicSchemaFromPublic()};
  } else {
    database::Rows ps = exec.Query(db, database::SelectPublicSchema());
    if (!ps.empty()) {
      if (ps.Get(0, "owner").value_or("") != ctx.names.owner_role) fixes.push_back(database::AlterPublicSchemaOwner(ctx.names));
      if (ps.Bool(0, "public_has_privileges")) fixes.push_back(database::RevokePublicSchemaFromPublic());
    }
  }
  exec.ExecuteAll(db, fixes);

  // A database created in this reconcile has no migrations yet (Migrate reads the state
  // again under its lock anyway, checksums and downgrades included).
  int current = 0;
  if (!ctx.database_created) {
    migrations::Status st = exec.SchemaStatus(db);
    for (const auto& m : st.migrations) {
      if (m.state != migrations::State::kMismatched) continue;
      return Step::Stall("MigrationChecksumMismatch",
                         "migration " + std::to_string(m.version) + " (" + m.name + ") was applied with checksum " +
                             m.applied_checksum.substr(0, 12) + "… but the bundled file has " +
                             m.expected_checksum.substr(0, 12) + "…; nothing was applied. Restore the original migration");
    }
    if (st.current_version > target && !t.spec.database.allow_downgrade) {
      return Step::Stall("DowngradeNotAllowed", "database is at schema version " + std::to_string(st.current_version) +
                                                    ", spec asks for " + std::to_string(target) +
                                                    "; set spec.database.allowDowngrade: true to run down migrations");
    }
    current = st.current_version;
  }
  if (current == target) return std::nullopt;
  try {
    const auto started = std::chrono::steady_clock::now();
    auto out = exec.Migrate(db, ctx.names.owner_role, target, t.spec.database.allow_downgrade);
    ctx.phases.emplace_back("migrate", std::chrono::steady_clock::now() - started);
    Event(ctx, false, "SchemaMigrated", "Migrate",
          "migrated " + db + " from version " + std::to_string(out.from_version) + " to " +
              std::to_string(out.to_version) + " (" + std::to_string(out.steps) + " migration(s))");
  } catch (const migrations::ChecksumMismatch& e) {
    return Step::Stall("MigrationChecksumMismatch", e.what());
  } catch (const migrations::DowngradeNotAllowed& e) {
    return Step::Stall("DowngradeNotAllowed", e.what());
  } catch (const migrations::UnknownVersion& e) {
    return Step::Stall("UnknownSchemaVersion", e.what());
  } catch (const migrations::LockTimeout& e) {
    return Step::Wait("MigrationLocked", e.what(), std::chrono::seconds(10));
  } catch (const migrations::MigrationFailed& e) {
    return Step::Fail("MigrationFailed", e.what());
  }
  return std::nullopt;
}

Step TenantReconciler::EnsureApi(Context& ctx) {
  ctx.part = kApiReady;
  const auto& t = ctx.tenant;
  const std::string name = api::ApiName(t.metadata.name);
  specs::DeploymentInputs in{ctx.credentials_version, !ctx.server.ca_pem.empty(), ctx.server.port};
  ApplyIfChanged(ctx, kube::resources::kDeployments, *caches_.deployments, specs::BuildDeployment(t, opts_.api, in));
  ApplyIfChanged(ctx, kube::resources::kServices, *caches_.services, specs::BuildService(t));
  ApplyIfChanged(ctx, kube::resources::kNetworkPolicies, *caches_.network_policies, specs::BuildNetworkPolicy(t, opts_.api, in));
  if (auto pdb = specs::BuildPodDisruptionBudget(t)) {
    ApplyIfChanged(ctx, kube::resources::kPodDisruptionBudgets, *caches_.pdbs, *pdb);
  } else {
    DeleteIfPresent(ctx, kube::resources::kPodDisruptionBudgets, *caches_.pdbs, name);
  }
  if (auto hpa = specs::BuildHorizontalPodAutoscaler(t)) {
    ApplyIfChanged(ctx, kube::resources::kHorizontalPodAutoscalers, *caches_.hpas, *hpa);
  } else {
    DeleteIfPresent(ctx, kube::resources::kHorizontalPodAutoscalers, *caches_.hpas, name);
  }

  auto dep = caches_.deployments->Get(t.metadata.namespace_, name);
  const json st = dep ? dep->value("status", json::object()) : json::object();
  ctx.status.api.deployment = name;
  ctx.status.api.service = name;
  ctx.status.api.replicas = st.value("replicas", 0);
  ctx.status.api.ready_replicas = st.value("readyReplicas", 0);
  const long long wanted = dep ? dep->value("spec", json::object()).value("replicas", 0LL) : 0;
  const std::string progress = "Deployment " + name + ": " + std::to_string(ctx.status.api.ready_replicas.value_or(0)) +
                               "/" + std::to_string(wanted) + " replicas ready";
  if (dep && DeploymentAvailable(*dep) && RolloutComplete(*dep, ctx.credentials_version)) {
    SetCond(ctx, kApiReady, api::kConditionTrue, "Available", progress);
    return Step::Ok();
  }
  SetCond(ctx, kApiReady, api::kConditionFalse, "Progressing", progress);
  // The Deployment's own watch events bring us back; the requeue is only a safety net.
  return Step::Wait("ApiProgressing", progress, std::chrono::seconds(30));
}

}  // namespace tenant::controller
