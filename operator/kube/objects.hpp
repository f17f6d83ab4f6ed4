#pragma once

#include <functional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "operator/kube/client.hpp"

namespace tenant::kube {

// Small helpers over unstructured objects (pure unless they take a Client).

std::string Namespace(const Json& obj);   // metadata.namespace or ""
std::string Name(const Json& obj);
std::string Uid(const Json& obj);
std::string ResourceVersion(const Json& obj);
long long Generation(const Json& obj);    // 0 when absent
bool IsBeingDeleted(const Json& obj);     // metadata.deletionTimestamp set

// An ownerReference to `owner` with controller: true, blockOwnerDeletion: true.
Json ControllerReference(const Json& owner);
// Adds/replaces the controller reference in obj.metadata.ownerReferences. Throws
// std::logic_error if obj is already controlled by a different owner (like SetControllerReference).
void SetControllerReference(Json& obj, const Json& owner);
// True if obj's controller ownerReference has this UID.
bool IsControlledBy(const Json& obj, std::string_view owner_uid);

bool HasFinalizer(const Json& obj, std::string_view finalizer);

// Adds `finalizer` on the live object without clobbering others' finalizers: a JSON patch
// with a `test` of metadata.resourceVersion; on Conflict re-reads and retries (bounded).
// Returns the updated object; no call if already present.
Json AddFinalizer(Client& c, const Resource& r, const Json& obj, std::string_view finalizer);
// Removes it the same way (JSON patch removes by index after testing that index's value).
// NotFound (object already gone) is success and returns nullptr JSON.
Json RemoveFinalizer(Client& c, const Resource& r, const Json& obj, std::string_view finalizer);

// Status write through /status with optimistic concurrency: reads the object, applies
// `mutate(obj)` to it (which sets obj["status"]...), writes with its resourceVersion; on
// Conflict re-reads and retries up to `attempts`. `mutate` returning false = nothing to
// write. Returns the final object. Rethrows the last Conflict when attempts are exhausted
// (the caller returns Result::Error to requeue).
Json UpdateStatusWithRetry(Client& c, const Resource& r, std::string_view ns,
                           std::string_view name, const std::function<bool(Json&)>& mutate,
                           int attempts = 5);

}  // namespace tenant::kube
