#pragma once

#include <string>
#include <string_view>

namespace tenant::api::auth {

// bcrypt through libxcrypt ($2b$). Cost 12 in production (issue section 5); tests of
// pure logic may pass a lower cost, never the server.
inline constexpr unsigned kBcryptCost = 12;

// bcrypt only reads the first 72 bytes; longer passwords are refused by validation so
// that two different passwords can never share a hash.
inline constexpr size_t kMaxPasswordBytes = 72;
inline constexpr size_t kMinPasswordBytes = 12;

std::string HashPassword(std::string_view password, unsigned cost = kBcryptCost);

// Constant-time check of password against a stored $2b$ hash; false for malformed hashes.
bool VerifyPassword(std::string_view password, std::string_view stored_hash);

// Login calls this when the user does not exist so the response takes as long as a real
// check: a bcrypt hash of a random password at the production cost, computed once.
bool VerifyAgainstDummy(std::string_view password);

// Empty string when acceptable, otherwise a message for the 422 field error.
std::string PasswordPolicyViolation(std::string_view password);

}  // namespace tenant::api::auth
