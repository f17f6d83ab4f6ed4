#pragma once
// Creating a user outside the HTTP API: `tenant-api create-user` and the operator's
// first-admin seeding after it migrates a tenant database. Depends only on common/pg,
// OpenSSL and libxcrypt so both binaries can link it (candidate for common/).
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/pg/connection.hpp"

namespace tenant::api::auth {

// Usernames are case-insensitive: stored lower-cased. Returns the normalized name, or
// nullopt when it does not match [a-z0-9._@-]{1,64} after lower-casing.
std::optional<std::string> NormalizeUsername(std::string_view username);

// The statement that inserts one user unless the username exists, writing its audit_log
// row in the same statement; returns the new id (no row when it existed). Pure.
// Params: $1 username (normalized), $2 bcrypt hash, $3 role, $4 audit request id.
std::string_view SeedUserSql();

struct SeedResult {
  bool created = false;  // false: the username already existed, nothing changed
  std::int64_t id = 0;   // set when created
};

// Validates (username format, role admin|manager|clerk, password policy), hashes with
// bcrypt cost 12 and inserts. Idempotent: an existing username is left untouched (the
// operator re-runs this on every reconcile). Throws std::invalid_argument with a message
// safe to print (never the password) for invalid input, pg::Error for database failures.
SeedResult SeedUser(pg::Connection& conn, std::string_view username, std::string_view password,
                    std::string_view role, std::string_view audit_request_id = "seed");

}  // namespace tenant::api::auth
