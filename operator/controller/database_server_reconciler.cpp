#include "operator/controller/database_server_reconciler.hpp"

#include <algorithm>

#include "common/log/log.hpp"
#include "common/pg/error.hpp"
#include "operator/api/condition.hpp"
#include "operator/api/database_server.hpp"
#include "operator/api/resources.hpp"
#include "operator/controller/tenant_indexes.hpp"
#include "operator/kube/errors.hpp"
#include "operator/kube/objects.hpp"
#include "operator/specs/encoding.hpp"
#include "operator/specs/secrets.hpp"

namespace tenant::controller {

using nlohmann::json;

ExecutorFactory PgExecutorFactory() {
  return [](const database::ServerConnectionConfig& c) { return std::make_shared<database::PgExecutor>(c); };
}

DatabaseServerReconciler::DatabaseServerReconciler(std::shared_ptr<kube::Client> client,
                                                   std::shared_ptr<kube::ObjectCache> servers,
                                                   std::shared_ptr<kube::ObjectCache> tenants,
                                                   std::shared_ptr<kube::EventRecorder> events,
                                                   std::shared_ptr<ServerRegistry> registry, ExecutorFactory factory,
                                                   Clock clock)
    : client_(std::move(client)),
      servers_(std::move(servers)),
      tenants_(std::move(tenants)),
      events_(std::move(events)),
      registry_(std::move(registry)),
      factory_(std::move(factory)),
      clock_(std::move(clock)) {}


kube::Result DatabaseServerReconciler::Reconcile(const kube::Request& req, std::stop_token) {
  auto obj = servers_->Get(req.name);
  if (!obj) {
    registry_->Remove(req.name);
    std::lock_guard lock(mu_);
    failures_.erase(req.name);
    return kube::Result::Success();
  }
  const auto now = clock_();
  api::DatabaseServer server;
  try {
    server = api::ParseDatabaseServer(*obj);
  } catch (const std::exception& e) {
    registry_->Remove(req.name);
    return kube::Result::Terminal(e.what());
  }
  api::DatabaseServerStatus status = server.status;
  const auto previous = registry_->Get(server.metadata.name);
  bool ready = false;
  std::string reason;
  std::string message;
  ServerEntry entry;
  entry.name = server.metadata.name;
  entry.host = server.spec.host;
  entry.port = server.spec.port;
  entry.ssl_mode = server.spec.ssl_mode;
  const std::string endpoint = server.spec.host + ":" + std::to_string(server.spec.port);
  try {
    const auto& ref = server.spec.admin_secret_ref;
    auto admin = client_->GetOrNull(kube::resources::kSecrets, ref.namespace_, ref.name);
    if (!admin) throw std::invalid_argument("AdminSecretNotFound|admin Secret " + ref.namespace_ + "/" + ref.name + " not found");
    auto data = specs::DecodeSecretData(*admin);
    if (data["username"].empty() || data["password"].empty()) {
      throw std::invalid_argument("AdminSecretInvalid|admin Secret " + ref.namespace_ + "/" + ref.name +
                                  " needs keys username and password");
    }
    if (const auto& ca = server.spec.ca_secret_ref) {
      auto ca_secret = client_->GetOrNull(kube::resources::kSecrets, ca->namespace_, ca->name);
      auto ca_data = ca_secret ? specs::DecodeSecretData(*ca_secret) : std::map<std::string, std::string>{};
      if (ca_data[ca->key].empty()) {
        throw std::invalid_argument("CASecretNotFound|CA Secret " + ca->namespace_ + "/" + ca->name + " has no key " + ca->key);
      }
      entry.ca_pem = ca_data[ca->key];
    }
    database::ServerConnectionConfig cfg;
    cfg.host = entry.host;
    cfg.port = entry.port;
    cfg.ssl_mode = entry.ssl_mode;
    cfg.ca_pem = entry.ca_pem;
    cfg.admin_user = data["username"];
    cfg.admin_password = data["password"];
    entry.fingerprint = specs::Sha256Hex(cfg.host + "\n" + std::to_string(cfg.port) + "\n" + cfg.ssl_mode + "\n" +
                                         cfg.ca_pem + "\n" + cfg.admin_user + "\n" + cfg.admin_password);
    // Reuse the pooled executor unless something it was built from changed.
    entry.executor = previous && previous->fingerprint == entry.fingerprint && previous->executor ? previous->executor
                                                                                                  : factory_(cfg);
    database::Rows info = entry.executor->Query("", database::SelectServerInfo());
    entry.server_version = info.Get(0, "server_version").value_or("");
    ready = true;
    reason = "Connected";
    message = "connected to " + endpoint + " as " + cfg.admin_user + " (PostgreSQL " + entry.server_version + ")";
  } catch (const std::invalid_argument& e) {
    std::string what = e.what();
    auto bar = what.find('|');
    reason = what.substr(0, bar);
    message = bar == std::string::npos ? what : what.substr(bar + 1);
  } catch (const pg::AuthenticationError& e) {
    reason = "AuthenticationFailed";
    message = "could not log in to " + endpoint + ": " + e.message();
  } catch (const pg::ConnectionError& e) {
    reason = "DatabaseUnreachable";
    message = e.message().rfind("could not connect", 0) == 0 ? e.message()
                                                              : "could not connect to " + endpoint + ": " + e.message();
  } catch (const pg::Error& e) {
    reason = "QueryFailed";
    message = std::string("query on ") + endpoint + " failed: " + e.what();
  }
  entry.ready = ready;
  entry.message = message;
  entry.reason = ready ? "" : reason;
  registry_->Put(entry);

  if (previous && previous->ready != ready && events_) {
    events_->Event(*obj, ready ? kube::EventType::kNormal : kube::EventType::kWarning, ready ? "Connected" : reason,
                   "CheckConnection", message);
  }
  if (!ready) {
    log::Warn("DatabaseServer not ready", {{"server", entry.name}, {"reason", reason}, {"message", message}});
  }

  const int count = static_cast<int>(tenants_->IndexKeys(kIndexPlacedServer, server.metadata.name).size());
  api::Condition c;
  c.type = kReady;
  c.status = std::string(ready ? api::kConditionTrue : api::kConditionFalse);
  c.reason = reason;
  c.message = message;
  c.observed_generation = server.metadata.generation;
  api::SetCondition(status.conditions, c, now);
  status.observed_generation = server.metadata.generation;
  if (ready) status.server_version = entry.server_version;
  status.tenant_count = count;
  if (!(status == server.status)) {
    json desired = api::ToJson(status);
    kube::UpdateStatusWithRetry(*client_, api::kDatabaseServers, "", server.metadata.name, [&desired](json& o) {
      if (o.contains("status") && o["status"] == desired) return false;
      o["status"] = desired;
      return true;
    });
  }
  return kube::Result::RequeueAfter(NextCheck(server.metadata.name, ready));
}

std::chrono::milliseconds DatabaseServerReconciler::NextCheck(const std::string& server, bool ready) {
  std::lock_guard lock(mu_);
  if (ready) {
    failures_.erase(server);
    return ready_recheck;
  }
  const int doublings = std::min(failures_[server]++, 10);
  return std::min(failed_recheck * (1 << doublings), max_failed_recheck);
}

}  // namespace tenant::controller
