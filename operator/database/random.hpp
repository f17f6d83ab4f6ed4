#pragma once
#include <cstddef>
#include <string>

namespace tenant::database {

// `bytes` random bytes from OpenSSL's CSPRNG, base64url without padding (URI-, shell- and
// conninfo-safe). Throws std::runtime_error if the CSPRNG fails.
std::string RandomToken(std::size_t bytes);

inline std::string GeneratePassword() { return RandomToken(32); }       // 43 chars
inline std::string GenerateJwtSigningKey() { return RandomToken(48); }  // 64 chars
inline std::string GenerateAdminPassword() { return RandomToken(24); }  // 32 chars (< bcrypt's 72 bytes)

}  // namespace tenant::database
