#pragma once
// In-process tenant-api (App) for the server integration tests: port 0, short timeouts.
#include <memory>

#include "common/log/log.hpp"
#include "runtime/app/app.hpp"

namespace tenant::test {

inline api::config::Config BaseConfig() {
  api::config::Config c;
  c.database_url = "postgresql://nobody@127.0.0.1:1/none";  // replaced by tests that need a database
  c.jwt_signing_key = std::string(32, 'k');
  c.tenant_id = "acme";
  c.port = 0;
  c.bind_address = "127.0.0.1";
  c.io_threads = 2;
  c.worker_threads = 4;
  c.rate_limit.enabled = false;
  c.release = "tenant-api@test";
  return c;
}

inline std::unique_ptr<api::app::App> StartApp(api::config::Config c, api::app::RegisterFn routes) {
  static bool configured = [] {
    log::Configure("tenant-api-test", "warn");
    return true;
  }();
  (void)configured;
  auto app = std::make_unique<api::app::App>(std::move(c), std::move(routes));
  app->Start();
  return app;
}

}  // namespace tenant::test
