#include "runtime/handlers/pagination.hpp"

#include <charconv>

#include "runtime/auth/base64url.hpp"

namespace tenant::api {

std::string EncodeCursor(std::int64_t last_id) {
  return "c1." + auth::Base64UrlEncode(std::to_string(last_id));
}

std::optional<std::int64_t> DecodeCursor(std::string_view cursor) {
  if (cursor.size() > 64 || cursor.substr(0, 3) != "c1.") return std::nullopt;
  auto raw = auth::Base64UrlDecode(cursor.substr(3));
  if (!raw || raw->empty() || (raw->size() > 1 && (*raw)[0] == '0')) return std::nullopt;
  std::int64_t id = 0;
  auto [ptr, ec] = std::from_chars(raw->data(), raw->data() + raw->size(), id);
  if (ec != std::errc() || ptr != raw->data() + raw->size() || id < 0) return std::nullopt;
  return id;
}

std::optional<int> ParseLimit(std::string_view text) {
  if (text.empty()) return kDefaultPageLimit;
  int n = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc() || ptr != text.data() + text.size() || n < 1 || n > kMaxPageLimit) {
    return std::nullopt;
  }
  return n;
}

}  // namespace tenant::api
