#pragma once
#include "runtime/handlers/domain.hpp"
#include "runtime/openapi/document.hpp"
#include "runtime/server/router.hpp"

namespace tenant::api::handlers {

// /api/v1/customers: manager (and admin) writes, every role reads.
void RegisterCustomerRoutes(server::Router& router, Domain& d);

}  // namespace tenant::api::handlers
