#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace tenant::kube {

enum class EventType { kNormal, kWarning };

// Records events.k8s.io/v1 Events about an object (`regarding` is the object itself or at
// least its apiVersion/kind/metadata{name,namespace,uid,resourceVersion}). Repeats of the
// same (object, type, reason, action, note) are folded into one Event's series instead of
// creating a flood. Never throws: event delivery is best effort and asynchronous.
class EventRecorder {
 public:
  virtual ~EventRecorder() = default;
  // reason: CamelCase ("Created", "ReconcileFailed"); action: what was done ("Reconcile",
  // "CreateDatabase"); note: human text, truncated to 1 kB.
  virtual void Event(const nlohmann::json& regarding, EventType type, std::string_view reason,
                     std::string_view action, std::string_view note) = 0;
};

}  // namespace tenant::kube
