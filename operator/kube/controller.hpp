#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "operator/kube/reconciler.hpp"
#include "operator/kube/resource.hpp"

namespace tenant::kube {

// Maps a watched object to the primary keys to reconcile (controller-runtime's
// handler.EnqueueRequestsFromMapFunc).
using MapFunc = std::function<std::vector<Request>(const nlohmann::json& obj)>;

struct WatchSpec {
  Resource resource;
  MapFunc map;
  std::string label_selector;  // optional server-side filter for this informer
};

// How a controller is registered with the Manager:
//   primary  — its objects' keys are reconciled (add/update/delete/resync).
//   owns     — objects whose controller ownerReference points at a `primary` (same
//              apiVersion group + kind) enqueue the owner's key (EnqueueRequestForOwner).
//   watches  — anything else, mapped by a function.
// Update events whose metadata.generation, labels, annotations, finalizers,
// deletionTimestamp and ownerReferences did not change still enqueue for owned objects
// (their status matters), but for the primary only when generation/metadata changed or
// `reconcile_on_status_change` is set (GenerationChangedPredicate-like).
struct ControllerSpec {
  std::string name;                      // "tenant"; metric label `controller`
  Resource primary;
  std::string primary_label_selector;    // optional server-side filter of the primary informer
  std::vector<Resource> owns;
  std::string owns_label_selector;       // optional filter for the owned informers
  std::vector<WatchSpec> watches;
  std::shared_ptr<Reconciler> reconciler;
  bool reconcile_on_status_change = false;
  int max_concurrent_reconciles = 0;     // 0 = Options.max_concurrent_reconciles
};

// Owner key of `obj` if it has a controller ownerReference to `owner_kind` of
// `owner_group` (group part of apiVersion); the owner lives in obj's namespace.
std::vector<Request> MapToControllerOwner(const nlohmann::json& obj, std::string_view owner_group,
                                          std::string_view owner_kind);

}  // namespace tenant::kube
