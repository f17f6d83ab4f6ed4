#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace tenant::api::auth {

// RFC 4648 section 5 alphabet without padding, as JWT (RFC 7515) requires.
std::string Base64UrlEncode(std::string_view bytes);

// Strict decoder: rejects padding, characters outside the alphabet, an impossible length
// (len % 4 == 1) and non-canonical trailing bits, so one token has exactly one encoding.
std::optional<std::string> Base64UrlDecode(std::string_view text);

}  // namespace tenant::api::auth
