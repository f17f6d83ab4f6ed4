#include "operator/manager/mirror_controller.hpp"

#include <unistd.h>

#include "common/log/log.hpp"
#include "operator/kube/objects.hpp"

namespace tenant::manager {

using kube::Json;

nlohmann::json BuildMirror(const nlohmann::json& source, const std::string& instance) {
  Json mirror{{"apiVersion", "v1"},
              {"kind", "ConfigMap"},
              {"metadata",
               {{"name", kube::Name(source) + "-mirror"},
                {"namespace", kube::Namespace(source)},
                {"labels", {{std::string(kMirrorOfLabel), kube::Name(source)},
                            {"app.kubernetes.io/managed-by", "tenant-operator"}}},
                {"annotations", {{std::string(kMirroredByAnnotation), instance}}}}},
              {"data", source.value("data", Json::object())}};
  kube::SetControllerReference(mirror, source);
  return mirror;
}

MirrorReconciler::MirrorReconciler(std::shared_ptr<kube::Client> client, std::shared_ptr<kube::ObjectCache> sources,
                                   std::shared_ptr<kube::EventRecorder> events, std::string instance)
    : client_(std::move(client)), sources_(std::move(sources)), events_(std::move(events)), instance_(std::move(instance)) {}

kube::Result MirrorReconciler::Reconcile(const kube::Request& req, std::stop_token) {
  const auto& cms = kube::resources::kConfigMaps;
  auto cached = sources_->Get(req.ns, req.name);
  if (!cached) return kube::Result::Success();  // gone; the finalizer path already cleaned up
  const Json& source = *cached;
  if (kube::IsBeingDeleted(source)) {
    if (!kube::HasFinalizer(source, kCleanupFinalizer)) return kube::Result::Success();
    try {
      client_->Delete(cms, req.ns, req.name + "-mirror");
    } catch (const kube::NotFoundError&) {
    }
    kube::RemoveFinalizer(*client_, cms, source, kCleanupFinalizer);
    log::Info("Deleted mirror", {{"namespace", req.ns}, {"name", req.name}});
    return kube::Result::Success();
  }
  if (!kube::HasFinalizer(source, kCleanupFinalizer)) {
    kube::AddFinalizer(*client_, cms, source, kCleanupFinalizer);
  }
  auto applied = client_->Apply(cms, req.ns, BuildMirror(source, instance_));
  log::Info("Mirrored ConfigMap", {{"namespace", req.ns}, {"name", req.name}, {"instance", instance_},
                                   {"resourceVersion", kube::ResourceVersion(applied)}});
  events_->Event(source, kube::EventType::kNormal, "Mirrored", "Reconcile",
                 "mirrored into " + req.name + "-mirror by " + instance_);
  return kube::Result::Success();
}

void RegisterMirrorController(Manager& mgr) {
  std::string instance = mgr.options().pod_name;
  if (instance.empty()) {
    char host[256] = {};
    gethostname(host, sizeof(host) - 1);
    instance = std::string(host) + "-" + std::to_string(getpid());
  }
  const std::string selector = std::string(kMirrorSourceLabel) + "=true";
  auto sources = mgr.Cache(kube::resources::kConfigMaps, selector);
  kube::ControllerSpec spec;
  spec.name = "mirror";
  spec.primary = kube::resources::kConfigMaps;
  spec.primary_label_selector = selector;
  spec.owns = {kube::resources::kConfigMaps};
  spec.owns_label_selector = std::string(kMirrorOfLabel);
  spec.reconciler = std::make_shared<MirrorReconciler>(mgr.shared_client(), sources, mgr.events(), instance);
  mgr.AddController(std::move(spec));
}

}  // namespace tenant::manager
