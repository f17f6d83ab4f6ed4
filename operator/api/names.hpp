#pragma once
// The fixed names of DESIGN.md in one place, so every builder and every test agrees.
#include <string>
#include <string_view>

#include "common/tenancy/database_names.hpp"

namespace tenant::api {

inline constexpr std::string_view kGroup = "tenancy.erp.dev";
inline constexpr std::string_view kVersion = "v1alpha1";
inline constexpr std::string_view kApiVersion = "tenancy.erp.dev/v1alpha1";
inline constexpr std::string_view kTenantKind = "Tenant";
inline constexpr std::string_view kDatabaseServerKind = "DatabaseServer";
inline constexpr std::string_view kFinalizer = "tenancy.erp.dev/cleanup";
inline constexpr std::string_view kFieldManager = "tenant-operator";

// Annotations the operator reads or writes.
inline constexpr std::string_view kRotateAnnotation = "tenancy.erp.dev/rotate-credentials";
inline constexpr std::string_view kCredentialsVersionAnnotation = "tenancy.erp.dev/credentials-version";
inline constexpr std::string_view kRotatedAtAnnotation = "tenancy.erp.dev/rotated-at";
inline constexpr std::string_view kRetiringRoleAnnotation = "tenancy.erp.dev/retiring-role";
inline constexpr std::string_view kRotationRequestAnnotation = "tenancy.erp.dev/rotation-request";

// Labels (DESIGN.md).
inline constexpr std::string_view kLabelName = "app.kubernetes.io/name";
inline constexpr std::string_view kLabelInstance = "app.kubernetes.io/instance";
inline constexpr std::string_view kLabelManagedBy = "app.kubernetes.io/managed-by";
inline constexpr std::string_view kLabelTenant = "tenancy.erp.dev/tenant";
inline constexpr std::string_view kApiAppName = "tenant-api";
inline constexpr std::string_view kManagedBy = "tenant-operator";

// PostgreSQL object names for a tenantId (common/, shared with tenant-api's migrate).
using tenancy::DatabaseName;
using tenancy::LoginRoleA;
using tenancy::LoginRoleB;
using tenancy::OwnerRole;

// Kubernetes object names for a Tenant named `tenant`.
inline std::string DbSecretName(std::string_view tenant) { return std::string(tenant) + "-db"; }
inline std::string ApiSecretName(std::string_view tenant) { return std::string(tenant) + "-api"; }
inline std::string AdminSecretName(std::string_view tenant) { return std::string(tenant) + "-admin"; }
inline std::string ApiName(std::string_view tenant) { return std::string(tenant) + "-api"; }

using tenancy::IsValidTenantId;

}  // namespace tenant::api
