#pragma once

#include <string>
#include <string_view>

namespace tenant::kube {

// One REST resource of the API server (group/version/resource plus the Kind its objects
// carry). Works for built-in groups and for CRDs alike; bodies are plain JSON.
struct Resource {
  std::string group;      // "" for the core group
  std::string version;    // "v1"
  std::string resource;   // plural, lower case: "configmaps"
  std::string kind;       // "ConfigMap"
  bool namespaced = true;

  std::string ApiVersion() const;  // "v1" or "apps/v1"
  // "/api/v1" or "/apis/apps/v1"
  std::string GroupVersionPath() const;
  // Collection or object path; namespace ignored for cluster-scoped resources, empty
  // namespace on a namespaced resource = across all namespaces (list/watch only).
  //   /api/v1/namespaces/ns/configmaps[/name[/subresource]]
  std::string Path(std::string_view ns = {}, std::string_view name = {},
                   std::string_view subresource = {}) const;
  // "configmaps" or "deployments.apps": for logs and metric labels.
  std::string String() const;

  bool operator==(const Resource&) const = default;
};

namespace resources {
// Built-in resources the operator touches; CRDs are declared by their owners the same way.
extern const Resource kNamespaces;
extern const Resource kConfigMaps;
extern const Resource kSecrets;
extern const Resource kServices;
extern const Resource kServiceAccounts;
extern const Resource kPods;
extern const Resource kCoreEvents;        // v1 Events (read only here)
extern const Resource kDeployments;       // apps/v1
extern const Resource kPodDisruptionBudgets;      // policy/v1
extern const Resource kHorizontalPodAutoscalers;  // autoscaling/v2
extern const Resource kNetworkPolicies;   // networking.k8s.io/v1
extern const Resource kLeases;            // coordination.k8s.io/v1
extern const Resource kEvents;            // events.k8s.io/v1
extern const Resource kCustomResourceDefinitions;  // apiextensions.k8s.io/v1
}  // namespace resources

}  // namespace tenant::kube
