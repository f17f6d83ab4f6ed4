#pragma once
// Operator-wide inputs of the workload builders (from operator flags), kept apart from
// the Tenant so builders stay pure functions of (Tenant, settings, observed values).
#include <string>

namespace tenant::specs {

struct ApiSettings {
  std::string default_image = "tenant-api:" TENANT_VERSION;  // --api-image
  std::string image_pull_policy = "IfNotPresent";
  // Secret in the tenant's namespace holding the Redis URL (REDIS_URL); empty = no Redis.
  std::string redis_secret_name;  // --redis-secret
  std::string redis_secret_key = "url";
  int redis_port = 6379;          // for the NetworkPolicy egress rule
  // Optional Secret with the Sentry DSN (SENTRY_DSN); empty = none.
  std::string sentry_secret_name;  // --sentry-secret
  std::string sentry_secret_key = "dsn";
  int run_as_user = 65532;  // non-root UID of the tenant-api image
};

}  // namespace tenant::specs
