#pragma once
// The Tenant controller: observe (caches + database) -> placement -> EnsureDatabase ->
// EnsureCredentials -> EnsureSchema -> EnsureApi -> write status once. Every step is
// idempotent and writes only when the observed state differs from the desired one, so a
// reconcile of an unchanged Tenant makes no API write and no SQL write.
#include <chrono>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "operator/api/tenant.hpp"
#include "operator/controller/admin_hasher.hpp"
#include "operator/controller/server_registry.hpp"
#include "operator/database/statements.hpp"
#include "operator/kube/client.hpp"
#include "operator/kube/events.hpp"
#include "operator/kube/reconciler.hpp"
#include "operator/kube/store.hpp"
#include "operator/specs/secrets.hpp"
#include "operator/specs/settings.hpp"

namespace tenant::controller {

using Clock = std::function<std::chrono::system_clock::time_point()>;

struct TenantCaches {
  std::shared_ptr<kube::ObjectCache> tenants;
  std::shared_ptr<kube::ObjectCache> servers;
  std::shared_ptr<kube::ObjectCache> secrets;       // managed-by=tenant-operator
  std::shared_ptr<kube::ObjectCache> deployments;
  std::shared_ptr<kube::ObjectCache> services;
  std::shared_ptr<kube::ObjectCache> pdbs;
  std::shared_ptr<kube::ObjectCache> hpas;
  std::shared_ptr<kube::ObjectCache> network_policies;
};

struct TenantReconcilerOptions {
  specs::ApiSettings api;
  // How often the schema side (migrations status, schema public privileges, first admin)
  // is re-checked for an otherwise unchanged Tenant. It needs a connection to the tenant
  // database, so it is not done on every event; register.cpp sets it a little below the
  // resync period so that every periodic resync re-verifies it.
  std::chrono::milliseconds schema_recheck{std::chrono::minutes(8)};
  // bcrypt cost of a first-admin password taken from an existing <tenant>-admin Secret
  // (someone may have chosen it: it gets the production cost, like tenant-api's users).
  unsigned bcrypt_cost = 12;
  // bcrypt cost of a first-admin password this operator generated itself: 24 bytes from
  // OpenSSL's CSPRNG (192 bits). bcrypt's work factor only slows the guessing of guessable
  // passwords; no work factor matters against 2^192 candidates, so cost 10 loses no
  // protection and saves 3/4 of ~250 ms of CPU per new tenant (200 tenants applied at once
  // on 2 cores: ~50 CPU seconds of bcrypt at cost 12, ~12 at cost 10). tenant-api reads the
  // cost from the hash when verifying, and hashes a changed password at its own cost 12.
  unsigned generated_admin_bcrypt_cost = 10;
  // Threads hashing first-admin passwords at low priority (0 = hash inline in the
  // reconcile; unit tests use that).
  int admin_hash_threads = 0;
  // Re-queues a tenant (the controller's work queue); called when its admin hash is ready.
  std::function<void(const kube::Request&)> enqueue;
  std::string admin_username = "admin";
  // Tenants provisioned at once (database, credentials, schema, first admin); others wait
  // in FIFO order with Ready=False reason Queued and are re-queued as slots free up. A burst
  // of new tenants is then finished tenant by tenant instead of every tenant being
  // interleaved with every other: the first become Ready early, and a tenant's follow-up
  // reconciles (admin hash done, Deployment available) do not queue behind the first
  // passes of all the others. Deployment rollouts do not hold a slot. 0 = no limit.
  int max_provisioning = 8;
  std::chrono::milliseconds rollout_poll{std::chrono::seconds(5)};
};

// Condition types and reasons (also read by tests and the DatabaseServer mapping).
inline constexpr const char* kReady = "Ready";
inline constexpr const char* kReconciling = "Reconciling";
inline constexpr const char* kStalled = "Stalled";
inline constexpr const char* kDatabaseReady = "DatabaseReady";
inline constexpr const char* kCredentialsReady = "CredentialsReady";
inline constexpr const char* kSchemaReady = "SchemaReady";
inline constexpr const char* kApiReady = "ApiReady";

class TenantReconciler final : public kube::Reconciler {
 public:
  TenantReconciler(std::shared_ptr<kube::Client> client, TenantCaches caches,
                   std::shared_ptr<kube::EventRecorder> events, std::shared_ptr<ServerRegistry> registry,
                   TenantReconcilerOptions options, Clock clock = std::chrono::system_clock::now);
  ~TenantReconciler() override;
  TenantReconciler(const TenantReconciler&) = delete;
  TenantReconciler& operator=(const TenantReconciler&) = delete;

  kube::Result Reconcile(const kube::Request& req, std::stop_token stop) override;

  // Working state of one reconcile (tenant_context.hpp; internal).
  struct Step;
  struct Context;

 private:

  kube::Result Finalize(Context& ctx);
  Step Placement(Context& ctx);
  Step EnsureDatabase(Context& ctx);
  Step EnsureCredentials(Context& ctx);
  Step EnsureSchema(Context& ctx);
  // Public schema ownership/privileges, checksums, downgrade rule, migrations up to
  // `target`; a Step when the reconcile must stop there.
  std::optional<Step> VerifySchema(Context& ctx, int target);
  Step EnsureApi(Context& ctx);

  // Apply `desired` unless the observed object already contains it.
  bool ApplyIfChanged(Context& ctx, const kube::Resource& r, const kube::ObjectCache& cache, const nlohmann::json& desired);
  void DeleteIfPresent(Context& ctx, const kube::Resource& r, const kube::ObjectCache& cache, const std::string& name);
  // Cached object, or a live read when the cache has none (a Secret we just created may
  // not have reached the cache yet; regenerating its values would churn credentials).
  std::optional<nlohmann::json> SecretOrLive(const std::string& ns, const std::string& name);
  bool WriteStatus(Context& ctx);
  // A provisioning slot for a tenant not provisioned yet (Ok), or Wait "Queued".
  Step Admit(Context& ctx);
  // Gives the slot of `key` back (if it holds one) and re-queues waiting tenants.
  void ReleaseSlot(const std::string& key);
  unsigned AdminBcryptCost(const Context& ctx) const;
  void Event(Context& ctx, bool warning, const std::string& reason, const std::string& action, const std::string& note);
  std::vector<struct ServerCandidate> Candidates();
  std::chrono::milliseconds Backoff(const std::string& key, bool failed);

  std::shared_ptr<kube::Client> client_;
  TenantCaches caches_;
  std::shared_ptr<kube::EventRecorder> events_;
  std::shared_ptr<ServerRegistry> registry_;
  TenantReconcilerOptions opts_;
  Clock clock_;

  std::mutex mu_;
  std::map<std::string, int> failures_;                           // per tenant key
  // What a reconcile verified inside a tenant database (per tenant uid); trusted until
  // schema_recheck has passed or the generation or target version differs.
  struct SchemaCheck {
    std::chrono::system_clock::time_point at;
    long long generation = 0;
    int version = 0;
    bool has_users = false;  // false: the first admin is still to be seeded
    bool audit_log = true;   // the schema has audit_log (a schema pinned below it does not)
  };
  std::map<std::string, SchemaCheck> schema_checked_;
  std::map<std::string, std::string> pending_placements_;       // tenant key -> server (until status shows it)
  std::set<std::string> provisioning_;  // tenant keys holding a provisioning slot
  std::deque<std::string> waiting_;     // tenant keys waiting for one, FIFO
  // Last: its threads call back into this object, so they stop first.
  std::unique_ptr<AdminHasher> hasher_;
};

}  // namespace tenant::controller
