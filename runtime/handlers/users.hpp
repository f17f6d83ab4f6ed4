#pragma once
#include "runtime/handlers/domain.hpp"
#include "runtime/server/router.hpp"

namespace tenant::api::handlers {

// /api/v1/users: admin only (create, list, get, deactivate, change password).
void RegisterUserRoutes(server::Router& router, Domain& d);

}  // namespace tenant::api::handlers
