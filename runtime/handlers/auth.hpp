#pragma once
#include "runtime/handlers/domain.hpp"
#include "runtime/server/router.hpp"

namespace tenant::api::handlers {

// POST /api/v1/auth/token, /auth/refresh, /auth/logout (anonymous, auth rate class).
void RegisterAuthRoutes(server::Router& router, Domain& d);

// The server's auth hook: "Authorization: Bearer <jwt>" -> Principal, or 401 after counting
// auth_failures_total{reason}.
server::AuthHook MakeAuthenticator(Domain& d);

}  // namespace tenant::api::handlers
