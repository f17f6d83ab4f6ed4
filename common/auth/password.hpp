#pragma once
// bcrypt ($2b$) through libxcrypt: the one implementation that tenant-api (login, user
// management, `create-user`) and tenant-operator (first admin of a tenant) share, so the
// hashes the operator writes are exactly what tenant-api verifies.
#include <cstddef>
#include <string>
#include <string_view>

namespace tenant::auth {

// Cost 12 in production; tests of pure logic may pass a lower cost, never the binaries.
inline constexpr unsigned kBcryptCost = 12;

// bcrypt only reads the first 72 bytes; longer passwords are refused by validation so
// that two different passwords can never share a hash.
inline constexpr std::size_t kMaxPasswordBytes = 72;
inline constexpr std::size_t kMinPasswordBytes = 12;

// A fresh 16-byte salt from OpenSSL's CSPRNG. Throws std::invalid_argument for a password
// bcrypt cannot hash (over 72 bytes, NUL), std::runtime_error when libxcrypt fails.
std::string HashPassword(std::string_view password, unsigned cost = kBcryptCost);

// Constant-time check of password against a stored $2b$ hash; false for malformed hashes
// (which still cost one bcrypt, so they are not distinguishable by timing). A hash made at
// a lower cost than `min_cost` (the operator's generated first-admin password, cost 10) is
// padded with bcrypt work up to one check at `min_cost`, so timing does not single out
// that user either.
bool VerifyPassword(std::string_view password, std::string_view stored_hash, unsigned min_cost = 0);

// The cost a $2b$ hash was made with; 0 when it is not a $2b$ hash.
unsigned BcryptCostOf(std::string_view stored_hash);

// For logins of users that do not exist: as slow as a real check, never true.
bool VerifyAgainstDummy(std::string_view password);

// Empty string when acceptable, otherwise a message for a field error (never the password).
std::string PasswordPolicyViolation(std::string_view password);

}  // namespace tenant::auth
