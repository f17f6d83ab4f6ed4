// Wires the Tenant and DatabaseServer controllers into the manager: shared caches, the
// owned resources (filtered to objects this operator manages), and the mapping from
// DatabaseServer changes to the tenants waiting for one.
#include "operator/manager/registration.hpp"

#include <algorithm>
#include <thread>

#include "operator/api/names.hpp"
#include "operator/api/resources.hpp"
#include "operator/controller/database_server_reconciler.hpp"
#include "operator/controller/tenant_indexes.hpp"
#include "operator/controller/tenant_reconciler.hpp"
#include "operator/controller/tenant_server_watch.hpp"
#include "operator/kube/cache_transforms.hpp"
#include "operator/kube/controller.hpp"

namespace tenant::manager {

void RegisterTenantControllers(Manager& mgr) {
  namespace r = kube::resources;
  using controller::TenantCaches;
  const std::string managed = std::string(api::kLabelManagedBy) + "=" + std::string(api::kManagedBy);

  // Memory (issue 4: <= 64 MB with 1,000 tenants): Tenants and owned objects are kept
  // packed (Tenants with indexes, controller/tenant_indexes.hpp), and no cache keeps what
  // nothing reads (operator/kube/cache_transforms.hpp).
  const kube::InformerOptions primary = kube::PrimaryCacheOptions();
  const kube::InformerOptions owned = kube::OwnedCacheOptions();

  TenantCaches caches;
  caches.tenants = mgr.Cache(api::kTenants, {}, controller::TenantCacheOptions());
  caches.servers = mgr.Cache(api::kDatabaseServers, {}, primary);
  caches.secrets = mgr.Cache(r::kSecrets, managed, owned);
  caches.deployments = mgr.Cache(r::kDeployments, managed, owned);
  caches.services = mgr.Cache(r::kServices, managed, owned);
  caches.pdbs = mgr.Cache(r::kPodDisruptionBudgets, managed, owned);
  caches.hpas = mgr.Cache(r::kHorizontalPodAutoscalers, managed, owned);
  caches.network_policies = mgr.Cache(r::kNetworkPolicies, managed, owned);

  auto registry = std::make_shared<controller::ServerRegistry>();
  auto client = mgr.shared_client();
  auto events = mgr.events();

  controller::TenantReconcilerOptions opts;
  if (!mgr.options().default_tenant_api_image.empty()) opts.api.default_image = mgr.options().default_tenant_api_image;
  opts.api.redis_secret_name = mgr.options().redis_secret;
  opts.api.sentry_secret_name = mgr.options().sentry_secret;
  opts.enqueue = mgr.Enqueuer("tenant");
  // bcrypt threads for first admins: as many as cores (hashing is CPU-bound).
  opts.admin_hash_threads = static_cast<int>(std::clamp(std::thread::hardware_concurrency(), 1u, 4u));
  // Below the resync period (which has ±10% jitter), so every resync re-verifies the schema.
  if (mgr.options().resync_period.count() > 0) {
    opts.schema_recheck = std::chrono::duration_cast<std::chrono::milliseconds>(mgr.options().resync_period) * 8 / 10;
  }

  auto owner_map = [](const nlohmann::json& obj) {
    return kube::MapToControllerOwner(obj, api::kGroup, api::kTenantKind);
  };
  kube::ControllerSpec tenant_spec;
  tenant_spec.name = "tenant";
  tenant_spec.primary = api::kTenants;
  for (const auto* res : {&r::kSecrets, &r::kDeployments, &r::kServices, &r::kPodDisruptionBudgets,
                          &r::kHorizontalPodAutoscalers, &r::kNetworkPolicies}) {
    tenant_spec.watches.push_back(kube::WatchSpec{*res, owner_map, managed});
  }
  auto tenants_cache = caches.tenants;
  tenant_spec.watches.push_back(kube::WatchSpec{
      api::kDatabaseServers,
      [tenants_cache](const nlohmann::json& server) { return controller::TenantsWaitingForServer(*tenants_cache, server); },
      {}});
  tenant_spec.reconciler =
      std::make_shared<controller::TenantReconciler>(client, caches, events, registry, opts);
  mgr.AddController(std::move(tenant_spec));

  kube::ControllerSpec server_spec;
  server_spec.name = "databaseserver";
  server_spec.primary = api::kDatabaseServers;
  // Tenant placements change the server's tenantCount.
  server_spec.watches.push_back(kube::WatchSpec{
      api::kTenants,
      [](const nlohmann::json& t) -> std::vector<kube::Request> {
        std::string placed = controller::PlacedServer(t);
        if (placed.empty()) return {};
        return {kube::Request{"", std::move(placed)}};
      },
      {}});
  server_spec.reconciler = std::make_shared<controller::DatabaseServerReconciler>(
      client, caches.servers, caches.tenants, events, registry, controller::PgExecutorFactory());
  mgr.AddController(std::move(server_spec));
}

}  // namespace tenant::manager
