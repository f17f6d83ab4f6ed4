#pragma once

#include "operator/manager/manager.hpp"

namespace tenant::manager {

// Registers the Tenant and DatabaseServer controllers (caches, ControllerSpecs) on the
// manager. Implemented by the Tenant-controller area (operator/controller/); main.cpp
// calls it when it is linked in (the operator library is linked whole-archive).
void RegisterTenantControllers(Manager& mgr);

}  // namespace tenant::manager
