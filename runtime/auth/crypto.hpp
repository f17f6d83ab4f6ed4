#pragma once

#include <string>
#include <string_view>

namespace tenant::api::auth {

// Thin wrappers over OpenSSL so the rest of the auth code never touches raw EVP handles.

// Cryptographically secure random bytes (RAND_bytes); throws std::runtime_error on failure.
std::string RandomBytes(size_t count);

// 32-byte binary digests.
std::string Sha256(std::string_view data);
std::string HmacSha256(std::string_view key, std::string_view data);

// Constant-time comparison (CRYPTO_memcmp). Lengths are compared first: a length is not
// secret for digests, signatures or hashes of fixed format.
bool ConstantTimeEquals(std::string_view a, std::string_view b);

std::string HexEncode(std::string_view bytes);

}  // namespace tenant::api::auth
