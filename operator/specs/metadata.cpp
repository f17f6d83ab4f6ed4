#include "operator/specs/metadata.hpp"

#include "operator/api/names.hpp"

namespace tenant::specs {

using nlohmann::json;

json Labels(const api::Tenant& t) {
  json l = SelectorLabels(t);
  l[std::string(api::kLabelManagedBy)] = api::kManagedBy;
  return l;
}

json SelectorLabels(const api::Tenant& t) {
  return json{{std::string(api::kLabelName), api::kApiAppName},
              {std::string(api::kLabelInstance), t.metadata.name},
              {std::string(api::kLabelTenant), t.metadata.name}};
}

json OwnerReference(const api::Tenant& t) {
  return json{{"apiVersion", api::kApiVersion}, {"kind", api::kTenantKind},
              {"name", t.metadata.name},         {"uid", t.metadata.uid},
              {"controller", true},              {"blockOwnerDeletion", true}};
}

json ObjectMeta(const api::Tenant& t, std::string_view name) {
  return json{{"name", name},
              {"namespace", t.metadata.namespace_},
              {"labels", Labels(t)},
              {"ownerReferences", json::array({OwnerReference(t)})}};
}

}  // namespace tenant::specs
