#pragma once
// Health endpoints: /health/live (process), /health/ready (database reachable, schema at
// least RequiredSchemaVersion(), Redis if configured; 503 while draining), /health (JSON
// summary). Registered anonymous and outside rate limiting.
#include <atomic>
#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "runtime/app/app_context.hpp"
#include "runtime/server/router.hpp"

namespace tenant::api::app {

struct CheckResult {
  std::string name;
  bool ok = false;
  double latency_ms = 0;
  std::string error;  // safe to show (no secrets)
};

class Health {
 public:
  // `redis_ping` empty = Redis not configured.
  Health(AppContext& ctx, std::function<bool(std::chrono::milliseconds)> redis_ping);

  void SetDraining() { draining_.store(true); }
  bool draining() const { return draining_.load(); }

  std::vector<CheckResult> RunChecks() const;
  server::Response Live() const;
  server::Response Ready() const;
  server::Response Summary() const;

 private:
  AppContext& ctx_;
  std::function<bool(std::chrono::milliseconds)> redis_ping_;
  std::atomic<bool> draining_{false};
  std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
};

// /health/live, /health/ready, /health, /metrics, /openapi.json (+ their OpenAPI entries).
void RegisterBuiltinRoutes(server::Router& router, AppContext& ctx, Health& health);

}  // namespace tenant::api::app
