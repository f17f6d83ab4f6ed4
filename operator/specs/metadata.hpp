#pragma once
// Labels, owner references and object metadata shared by every built object. Pure.
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "operator/api/tenant.hpp"

namespace tenant::specs {

// The four DESIGN.md labels.
nlohmann::json Labels(const api::Tenant& t);
// The subset used as pod selector (immutable on Deployments, so never extended).
nlohmann::json SelectorLabels(const api::Tenant& t);
// ownerReference to the Tenant (controller: true, blockOwnerDeletion: true): Kubernetes
// garbage-collects the workload and Secrets; nothing in PostgreSQL relies on it.
nlohmann::json OwnerReference(const api::Tenant& t);
// {name, namespace, labels, ownerReferences}.
nlohmann::json ObjectMeta(const api::Tenant& t, std::string_view name);

}  // namespace tenant::specs
