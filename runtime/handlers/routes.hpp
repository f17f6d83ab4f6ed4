#pragma once
// The domain side's entry points, called by runtime/main.cpp (contract: runtime/server/README.md).
#include <string>

#include "runtime/app/app_context.hpp"
#include "runtime/server/router.hpp"

namespace tenant::api::handlers {

// Registers every /api/v1 route and its OpenAPI paths/schemas (ctx.openapi), fills
// ctx.authenticate (JWT -> Principal, throws 401) and ctx.database (ping / schema_version /
// close over the pool), and keeps the pool and services alive via ctx.keep_alive.
void RegisterApiRoutes(server::Router& router, app::AppContext& ctx);

// `tenant-api create-user`: creates one user (bcrypt cost 12) with its own connection.
// Throws std::exception with a message safe to print (never the password) on failure,
// including when the username already exists.
void CreateUser(app::AppContext& ctx, const std::string& username, const std::string& password,
                const std::string& role);

// The OpenAPI paths and schemas of every /api/v1 endpoint (openapi_spec.cpp).
void DescribeApi(openapi::Document& doc);

}  // namespace tenant::api::handlers
