#pragma once
#include "runtime/handlers/domain.hpp"
#include "runtime/server/router.hpp"

namespace tenant::api::handlers {

// /api/v1/orders: every role places, lists, cancels and ships orders.
void RegisterOrderRoutes(server::Router& router, Domain& d);

}  // namespace tenant::api::handlers
