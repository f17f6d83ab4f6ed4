#pragma once

#include <functional>

#include <nlohmann/json.hpp>

#include "operator/kube/informer.hpp"

// Cache transforms (InformerOptions::transform): drop from cached objects what no reader of
// that cache uses, so 1,000 tenants' objects fit the operator's memory budget (issue 4 §6).
// A transform must never drop a field the Tenant controller compares with
// specs::NeedsApply (everything its builders set), or every reconcile would re-apply
// (tests/unit/operator/cache_transforms_test.cpp checks the builders' outputs survive).
namespace tenant::kube {

using CacheTransform = std::function<void(nlohmann::json&)>;

// kubectl's client-side-apply copy of the whole object, as a JSON string in an annotation
// (kubectl.kubernetes.io/last-applied-configuration): a Tenant applied with kubectl carries
// its spec twice. Nothing in the operator reads it.
void DropLastAppliedConfiguration(nlohmann::json& obj);

// The options of the Tenant controllers' caches (operator/controller/register.cpp), here so
// their tests use exactly what the operator runs with.
//  - primary (DatabaseServers; Tenants add packing and indexes, controller/tenant_indexes.hpp):
//    few objects listed whole for placement, so kept parsed; transformed only.
//  - owned (Secrets, Deployments, Services, PDBs, HPAs, NetworkPolicies): read by key a few
//    times per reconcile, so kept packed (a parse per read), transformed.
InformerOptions PrimaryCacheOptions();
InformerOptions OwnedCacheOptions();

}  // namespace tenant::kube
