#pragma once
#include "operator/kube/resource.hpp"

namespace tenant::api {

// REST resources of the two CRDs (crds/tenancy.erp.dev_*.yaml).
extern const kube::Resource kTenants;
extern const kube::Resource kDatabaseServers;

}  // namespace tenant::api
