#pragma once
// In-process view of the DatabaseServers the operator can use: written by the
// DatabaseServer reconciler (which owns the admin connections), read by the Tenant
// reconciler. Tenants never read admin Secrets themselves.
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "operator/database/executor.hpp"

namespace tenant::controller {

struct ServerEntry {
  std::string name;
  std::string host;
  int port = 5432;
  std::string ssl_mode;
  std::string ca_pem;
  std::string fingerprint;  // hash of everything the executor was built from
  std::shared_ptr<database::SqlExecutor> executor;
  bool ready = false;
  std::string message;      // why not ready
  std::string server_version;
  std::string reason;       // why not ready (condition reason, e.g. DatabaseUnreachable)
};

class ServerRegistry {
 public:
  std::optional<ServerEntry> Get(const std::string& name) const {
    std::lock_guard lock(mu_);
    auto it = entries_.find(name);
    if (it == entries_.end()) return std::nullopt;
    return it->second;
  }
  void Put(ServerEntry e) {
    std::lock_guard lock(mu_);
    entries_[e.name] = std::move(e);
  }
  void Remove(const std::string& name) {
    std::lock_guard lock(mu_);
    entries_.erase(name);
  }

 private:
  mutable std::mutex mu_;
  std::map<std::string, ServerEntry> entries_;
};

}  // namespace tenant::controller
