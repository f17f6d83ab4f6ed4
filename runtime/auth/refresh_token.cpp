#include "runtime/auth/refresh_token.hpp"

#include "runtime/auth/base64url.hpp"
#include "runtime/auth/crypto.hpp"

namespace tenant::api::auth {

RefreshToken GenerateRefreshToken() {
  RefreshToken t;
  t.token = Base64UrlEncode(RandomBytes(32));
  t.hash = Sha256(t.token);
  return t;
}

std::string HashRefreshToken(std::string_view token) { return Sha256(token); }

}  // namespace tenant::api::auth
