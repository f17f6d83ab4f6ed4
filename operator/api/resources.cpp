#include "operator/api/resources.hpp"

namespace tenant::api {

const kube::Resource kTenants{"tenancy.erp.dev", "v1alpha1", "tenants", "Tenant", true};
const kube::Resource kDatabaseServers{"tenancy.erp.dev", "v1alpha1", "databaseservers",
                                      "DatabaseServer", false};

}  // namespace tenant::api
