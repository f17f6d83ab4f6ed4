#pragma once

#include <chrono>
#include <string>
#include <string_view>

namespace tenant::api::auth {

inline constexpr std::chrono::hours kRefreshTokenLifetime{24 * 30};

// An opaque refresh token (256 random bits, base64url) and the SHA-256 that is stored.
// The database never sees the token itself, so a leaked table cannot be replayed.
struct RefreshToken {
  std::string token;
  std::string hash;  // 32 raw bytes
};

RefreshToken GenerateRefreshToken();
std::string HashRefreshToken(std::string_view token);

}  // namespace tenant::api::auth
