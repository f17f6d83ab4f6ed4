#pragma once
// Which DatabaseServer a Tenant lives on. Pure.
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "operator/api/tenant.hpp"

namespace tenant::controller {

struct ServerCandidate {
  std::string name;
  std::map<std::string, std::string> labels;
  bool ready = false;
  std::optional<int> max_tenants;
  int tenant_count = 0;  // tenants already placed on it (including in-flight placements)
};

struct Placement {
  std::string server;   // empty = no server
  bool stalled = false; // a spec problem (not resolved by waiting)
  std::string reason;   // when server is empty: NoDatabaseServer / DatabaseServerNotFound / ServerChangeNotSupported
  std::string message;
};

// 1. status.database.server is kept forever (never moved silently); a different serverRef
//    is a spec error (Stalled).
// 2. spec.database.serverRef names the server (it need not be Ready yet).
// 3. Otherwise the Ready server matching serverSelector with the fewest tenants below its
//    maxTenants (ties by name).
Placement Place(const api::Tenant& t, const std::vector<ServerCandidate>& servers);

}  // namespace tenant::controller
