#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "operator/kube/errors.hpp"
#include "operator/kube/resource.hpp"

namespace tenant::kube {

using Json = nlohmann::json;

inline constexpr std::string_view kFieldManager = "tenant-operator";

struct ListOptions {
  std::string label_selector;    // "a=b,c!=d"
  std::string field_selector;
  std::optional<std::string> resource_version;  // unset = omit (consistent read); "0" = any
  std::string resource_version_match;           // "", "NotOlderThan", "Exact"
  int limit = 0;                 // 0 = no paging
  std::string continue_token;
};

struct WatchOptions {
  std::string label_selector;
  std::string field_selector;
  std::string resource_version;
  bool allow_bookmarks = true;
  int timeout_seconds = 0;       // server-side watch timeout; 0 = omit
};

enum class PatchType { kJsonPatch, kMergePatch, kStrategicMergePatch, kApply };

struct ApplyOptions {
  std::string field_manager = std::string(kFieldManager);
  bool force = true;
  std::string subresource;       // "" or "status"
};

struct DeleteOptions {
  std::string propagation_policy = "Background";  // "Foreground", "Orphan", "Background"
  std::optional<std::string> precondition_uid;
  std::optional<std::string> precondition_resource_version;
  std::optional<int> grace_period_seconds;
};

// One watch event: type ADDED, MODIFIED, DELETED, BOOKMARK or ERROR; object is the object
// (for ERROR, a metav1.Status).
struct WatchEvent {
  std::string type;
  Json object;
};

// Handler for watch events; return false to stop the watch.
using WatchHandler = std::function<bool(WatchEvent&&)>;

// The Kubernetes API as the operator uses it. Every call throws ApiError subclasses (see
// errors.hpp) for API failures and TransportError for network failures. Object bodies are
// JSON; ns is ignored for cluster-scoped resources. Implemented by RestClient (real API
// server) and by test fakes for unit tests of pure logic.
class Client {
 public:
  virtual ~Client() = default;

  virtual Json Get(const Resource& r, std::string_view ns, std::string_view name) = 0;
  // One page of a list: the List object (items, metadata.resourceVersion, metadata.continue).
  virtual Json List(const Resource& r, std::string_view ns, const ListOptions& opts) = 0;
  // The same page with its items handed to `on_item` one at a time, never all parsed at once
  // (list_stream.hpp: a resourceVersion=0 "page" is the whole resource). Returns the List
  // without items. This default goes through List (fakes); RestClient streams.
  virtual Json ListEach(const Resource& r, std::string_view ns, const ListOptions& opts,
                        const std::function<void(Json&&)>& on_item);
  virtual Json Create(const Resource& r, std::string_view ns, const Json& obj) = 0;
  // PUT of the whole object; metadata.resourceVersion in obj is the optimistic lock.
  virtual Json Update(const Resource& r, std::string_view ns, const Json& obj) = 0;
  // PUT to /status; only status changes; resourceVersion is the optimistic lock.
  virtual Json UpdateStatus(const Resource& r, std::string_view ns, const Json& obj) = 0;
  virtual Json Patch(const Resource& r, std::string_view ns, std::string_view name,
                     PatchType type, const Json& patch, std::string_view subresource = {},
                     std::string_view field_manager = kFieldManager) = 0;
  // Server-side apply: PATCH application/apply-patch+yaml with the JSON body `obj`
  // (apiVersion, kind, metadata.name[/namespace] and only the fields this manager owns).
  virtual Json Apply(const Resource& r, std::string_view ns, const Json& obj,
                     const ApplyOptions& opts = {}) = 0;
  virtual void Delete(const Resource& r, std::string_view ns, std::string_view name,
                      const DeleteOptions& opts = {}) = 0;
  // Blocks streaming events to `handler` until the server ends the watch (returns
  // normally), the handler returns false, or `stop` is requested. Throws ApiError for a
  // non-200 answer (e.g. GoneError) and TransportError for a broken stream.
  virtual void Watch(const Resource& r, std::string_view ns, const WatchOptions& opts,
                     const WatchHandler& handler, std::stop_token stop) = 0;

  // Convenience: Get that returns nullopt on NotFound.
  std::optional<Json> GetOrNull(const Resource& r, std::string_view ns, std::string_view name);
};

}  // namespace tenant::kube
