#include "operator/kube/cache_transforms.hpp"

namespace tenant::kube {

void DropLastAppliedConfiguration(nlohmann::json& obj) {
  auto m = obj.find("metadata");
  if (m == obj.end() || !m->is_object()) return;
  auto a = m->find("annotations");
  if (a == m->end() || !a->is_object()) return;
  a->erase("kubectl.kubernetes.io/last-applied-configuration");
}

InformerOptions PrimaryCacheOptions() {
  InformerOptions o;
  o.transform = DropLastAppliedConfiguration;
  return o;
}

InformerOptions OwnedCacheOptions() {
  InformerOptions o;
  o.transform = DropLastAppliedConfiguration;
  o.compact = true;
  return o;
}

}  // namespace tenant::kube
