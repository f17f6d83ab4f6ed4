#pragma once
// Creating a tenant-api user outside the HTTP API: `tenant-api create-user` and the
// operator's first-admin seeding after it migrates a tenant database. One implementation
// (validation, bcrypt, SQL) for both binaries.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/pg/connection.hpp"

namespace tenant::auth {

// Usernames are case-insensitive: stored lower-cased. Returns the normalized name, or
// nullopt when it does not match [a-z0-9._@-]{1,64} after lower-casing.
std::optional<std::string> NormalizeUsername(std::string_view username);

// The statement that inserts one user unless the username exists, writing its audit_log
// row in the same statement when `audit_log_exists`; returns the new id (no row when it
// existed). Pure. audit_log comes with a later migration than users, so a tenant pinned
// to an older schemaVersion has users but no audit_log (see AuditLogExistsSql).
// Params: $1 username (normalized), $2 bcrypt hash, $3 role, and with audit_log $4 the
// audit request id.
std::string_view SeedUserSql(bool audit_log_exists = true);

// The same insert (same parameters, same audit_log rule, the new id returned), made only
// while "users" is empty: a tenant's first admin. Checking and inserting in one statement
// means a user created meanwhile (e.g. by `tenant-api create-user`) is never joined by an
// unwanted second admin, and the caller needs no separate count. Pure.
std::string_view SeedFirstUserSql(bool audit_log_exists = true);

// One row, one boolean column "audit_log": whether the audit_log table exists.
std::string_view AuditLogExistsSql();

// A validated user with its bcrypt hash, ready for SeedUserSql. Holds no plain password.
struct PreparedUser {
  std::string username;  // normalized
  std::string password_hash;
  std::string role;
};

// Validates (username format, role admin|manager|clerk, password policy) and hashes with
// bcrypt at `cost` (production: kBcryptCost). Slow by design (one bcrypt): callers that
// must stay responsive run it off their hot path. Throws std::invalid_argument with a
// message safe to print (never the password) for invalid input.
PreparedUser PrepareUser(std::string_view username, std::string_view password, std::string_view role,
                         unsigned cost = 12);

struct SeedResult {
  bool created = false;  // false: the username already existed, nothing changed
  std::int64_t id = 0;   // set when created
};

// PrepareUser at cost 12, then SeedUserSql. Idempotent: an existing username is left
// untouched. Throws std::invalid_argument for invalid input, pg::Error for database failures.
SeedResult SeedUser(pg::Connection& conn, std::string_view username, std::string_view password,
                    std::string_view role, std::string_view audit_request_id = "seed");

}  // namespace tenant::auth
