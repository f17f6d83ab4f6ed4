#pragma once
// Password hashing lives in common/auth (shared with tenant-operator's first-admin seed);
// these names keep the runtime's call sites unchanged.
#include "common/auth/password.hpp"

namespace tenant::api::auth {

using ::tenant::auth::HashPassword;
using ::tenant::auth::kBcryptCost;
using ::tenant::auth::kMaxPasswordBytes;
using ::tenant::auth::kMinPasswordBytes;
using ::tenant::auth::PasswordPolicyViolation;
using ::tenant::auth::VerifyAgainstDummy;
using ::tenant::auth::VerifyPassword;

}  // namespace tenant::api::auth
