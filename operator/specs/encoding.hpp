#pragma once
// Encodings used in built objects. Pure.
#include <optional>
#include <string>
#include <string_view>

namespace tenant::specs {

std::string Base64Encode(std::string_view data);
// std::nullopt when `text` is not valid standard base64.
std::optional<std::string> Base64Decode(std::string_view text);
// Percent-encodes everything except RFC 3986 unreserved characters (for URI parts).
std::string PercentEncode(std::string_view text);
// Lowercase hex SHA-256.
std::string Sha256Hex(std::string_view data);

}  // namespace tenant::specs
