#pragma once
// The DatabaseServer controller: reads the admin (and CA) Secret, keeps one pooled
// executor per server in the ServerRegistry, checks that it can log in, and reports
// Ready, serverVersion and tenantCount.
#include <functional>
#include <map>
#include <memory>
#include <mutex>

#include "operator/controller/server_registry.hpp"
#include "operator/controller/tenant_reconciler.hpp"
#include "operator/database/pg_executor.hpp"
#include "operator/kube/client.hpp"
#include "operator/kube/events.hpp"
#include "operator/kube/reconciler.hpp"
#include "operator/kube/store.hpp"

namespace tenant::controller {

using ExecutorFactory =
    std::function<std::shared_ptr<database::SqlExecutor>(const database::ServerConnectionConfig&)>;

// The real factory: a PgExecutor.
ExecutorFactory PgExecutorFactory();

class DatabaseServerReconciler final : public kube::Reconciler {
 public:
  DatabaseServerReconciler(std::shared_ptr<kube::Client> client, std::shared_ptr<kube::ObjectCache> servers,
                           std::shared_ptr<kube::ObjectCache> tenants, std::shared_ptr<kube::EventRecorder> events,
                           std::shared_ptr<ServerRegistry> registry, ExecutorFactory factory,
                           Clock clock = std::chrono::system_clock::now);

  kube::Result Reconcile(const kube::Request& req, std::stop_token stop) override;

  std::chrono::milliseconds ready_recheck{std::chrono::seconds(30)};
  // A server that is not ready is re-checked after 5 s, doubling while it stays down up to
  // 60 s (a server left behind unreachable must not cost a connection attempt, a Secret GET
  // and a log line every 5 s for ever). Any change to the server re-queues it at once.
  std::chrono::milliseconds failed_recheck{std::chrono::seconds(5)};
  std::chrono::milliseconds max_failed_recheck{std::chrono::seconds(60)};

 private:
  std::chrono::milliseconds NextCheck(const std::string& server, bool ready);

  std::mutex mu_;
  std::map<std::string, int> failures_;  // server -> consecutive checks that found it not ready
  std::shared_ptr<kube::Client> client_;
  std::shared_ptr<kube::ObjectCache> servers_;
  std::shared_ptr<kube::ObjectCache> tenants_;
  std::shared_ptr<kube::EventRecorder> events_;
  std::shared_ptr<ServerRegistry> registry_;
  ExecutorFactory factory_;
  Clock clock_;
};

}  // namespace tenant::controller
