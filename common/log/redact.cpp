#include "common/log/log.hpp"

#include <algorithm>
#include <array>
#include <cctype>

namespace tenant::log {
namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

bool IsSecretParam(std::string_view name) {
  const std::string n = Lower(name);
  return n == "password" || n == "pass" || n == "token" || n == "secret" ||
         n == "access_token" || n == "api_key" || n == "apikey" || n == "sslpassword";
}

}  // namespace

bool IsSensitiveKey(std::string_view key) {
  static constexpr std::array<std::string_view, 13> kMarkers = {
      "password",    "passwd",      "secret", "token",   "authorization",
      "cookie",      "api_key",     "apikey", "private", "dsn",
      "database_url", "credential", "signing_key"};
  // Lower-case into a stack buffer: this runs for every field of every log line.
  char buf[64];
  std::string heap;
  std::string_view k;
  if (key.size() <= sizeof buf) {
    for (std::size_t i = 0; i < key.size(); ++i) {
      buf[i] = static_cast<char>(std::tolower(static_cast<unsigned char>(key[i])));
    }
    k = std::string_view(buf, key.size());
  } else {
    heap = Lower(key);
    k = heap;
  }
  return std::any_of(kMarkers.begin(), kMarkers.end(),
                     [&](std::string_view m) { return k.find(m) != std::string_view::npos; });
}

std::string RedactUrl(std::string_view url) {
  std::string out(url);
  // userinfo: scheme://user:password@host
  const auto scheme = out.find("://");
  if (scheme != std::string::npos) {
    const auto auth_start = scheme + 3;
    const auto auth_end = out.find_first_of("/?#", auth_start);
    const auto at = out.rfind('@', auth_end == std::string::npos ? out.size() - 1 : auth_end);
    if (at != std::string::npos && at >= auth_start) {
      const auto colon = out.find(':', auth_start);
      if (colon != std::string::npos && colon < at) {
        out.replace(colon + 1, at - colon - 1, kRedacted);
      }
    }
  }
  // query parameters: ?password=...&token=...
  auto q = out.find('?');
  while (q != std::string::npos) {
    const auto name_start = q + 1;
    const auto eq = out.find('=', name_start);
    const auto amp = out.find_first_of("&#", name_start);
    if (eq == std::string::npos || (amp != std::string::npos && amp < eq)) {
      q = amp != std::string::npos && out[amp] == '&' ? amp : std::string::npos;
      continue;
    }
    const auto value_end = amp == std::string::npos ? out.size() : amp;
    if (IsSecretParam(std::string_view(out).substr(name_start, eq - name_start))) {
      out.replace(eq + 1, value_end - eq - 1, kRedacted);
    }
    const auto next = out.find_first_of("&#", eq + 1);
    q = next != std::string::npos && out[next] == '&' ? next : std::string::npos;
  }
  return out;
}

std::string RedactSecrets(std::string_view text, const std::vector<std::string_view>& secrets) {
  std::string out(text);
  for (const auto secret : secrets) {
    if (secret.empty()) continue;
    for (auto pos = out.find(secret); pos != std::string::npos;
         pos = out.find(secret, pos + kRedacted.size())) {
      out.replace(pos, secret.size(), kRedacted);
    }
  }
  return out;
}

}  // namespace tenant::log
