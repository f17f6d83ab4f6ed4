#pragma once

#include <memory>
#include <string>

#include "operator/kube/client.hpp"
#include "operator/kube/events.hpp"
#include "operator/kube/reconciler.hpp"
#include "operator/kube/store.hpp"
#include "operator/manager/manager.hpp"

namespace tenant::manager {

// A small real controller that proves the machinery end to end (used by e2e tests, enabled
// with --mirror-test-controller): every ConfigMap labelled tenancy.erp.dev/mirror=true
// ("source") is mirrored into ConfigMap "<name>-mirror" (same data) by server-side apply,
// owned by the source (controller reference). The source gets the finalizer
// tenancy.erp.dev/cleanup; on deletion the mirror is deleted first, then the finalizer
// removed. The mirror's annotation tenancy.erp.dev/mirrored-by names the reconciling
// instance, so tests can tell which replica did the work.
inline constexpr std::string_view kMirrorSourceLabel = "tenancy.erp.dev/mirror";
inline constexpr std::string_view kMirrorOfLabel = "tenancy.erp.dev/mirror-of";
inline constexpr std::string_view kMirroredByAnnotation = "tenancy.erp.dev/mirrored-by";
inline constexpr std::string_view kCleanupFinalizer = "tenancy.erp.dev/cleanup";

// Desired mirror for a source (pure).
nlohmann::json BuildMirror(const nlohmann::json& source, const std::string& instance);

class MirrorReconciler final : public kube::Reconciler {
 public:
  MirrorReconciler(std::shared_ptr<kube::Client> client, std::shared_ptr<kube::ObjectCache> sources,
                   std::shared_ptr<kube::EventRecorder> events, std::string instance);
  kube::Result Reconcile(const kube::Request& req, std::stop_token stop) override;

 private:
  std::shared_ptr<kube::Client> client_;
  std::shared_ptr<kube::ObjectCache> sources_;
  std::shared_ptr<kube::EventRecorder> events_;
  std::string instance_;
};

void RegisterMirrorController(Manager& mgr);

}  // namespace tenant::manager
