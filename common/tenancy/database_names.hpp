#pragma once
// PostgreSQL object names of one tenant, shared by the operator (which creates them) and
// tenant-api (whose `migrate` runs as the owner role), so the two can never disagree.
#include <string>
#include <string_view>

namespace tenant::tenancy {

// True when `id` matches ^[a-z][a-z0-9_]{0,39}$ (the CRD pattern, re-checked in code so a
// CRD installed without validation can never lead to a bad identifier).
bool IsValidTenantId(std::string_view id);

// Names for a valid tenantId: "erp_tenant_" + id + "_owner" stays below PostgreSQL's
// 63-byte identifier limit.
inline std::string DatabaseName(std::string_view id) { return "erp_tenant_" + std::string(id); }
inline std::string OwnerRole(std::string_view id) { return DatabaseName(id) + "_owner"; }
inline std::string LoginRoleA(std::string_view id) { return DatabaseName(id) + "_a"; }
inline std::string LoginRoleB(std::string_view id) { return DatabaseName(id) + "_b"; }

}  // namespace tenant::tenancy
