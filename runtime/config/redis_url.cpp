#include "runtime/config/redis_url.hpp"

#include <charconv>

#include "runtime/server/request.hpp"

namespace tenant::api::config {

namespace {
std::optional<RedisUrl> Fail(std::string* why, std::string msg) {
  if (why) *why = std::move(msg);
  return std::nullopt;
}
}  // namespace

std::optional<RedisUrl> ParseRedisUrl(std::string_view url, std::string* why) {
  constexpr std::string_view kScheme = "redis://";
  if (url.substr(0, kScheme.size()) != kScheme) {
    return Fail(why, "must start with redis:// (rediss:// is not supported)");
  }
  std::string_view rest = url.substr(kScheme.size());
  RedisUrl out;
  auto at = rest.rfind('@');
  if (at != std::string_view::npos) {
    std::string_view userinfo = rest.substr(0, at);
    rest = rest.substr(at + 1);
    auto colon = userinfo.find(':');
    std::string_view user = userinfo.substr(0, colon);
    std::string_view pass = colon == std::string_view::npos ? std::string_view{} : userinfo.substr(colon + 1);
    if (colon == std::string_view::npos) {
      // "redis://password@host" is a common mistake; treat a lone userinfo as the password.
      pass = user;
      user = {};
    }
    auto du = server::PercentDecode(user, false);
    auto dp = server::PercentDecode(pass, false);
    if (!du || !dp) return Fail(why, "bad percent-encoding in the user info");
    out.username = *du;
    out.password = *dp;
  }
  auto slash = rest.find('/');
  std::string_view hostport = rest.substr(0, slash);
  std::string_view path = slash == std::string_view::npos ? std::string_view{} : rest.substr(slash + 1);
  auto qm = path.find('?');
  if (qm != std::string_view::npos) path = path.substr(0, qm);
  if (hostport.empty()) return Fail(why, "has no host");
  std::string_view host = hostport;
  if (hostport.front() == '[') {
    auto close = hostport.find(']');
    if (close == std::string_view::npos) return Fail(why, "has an unterminated IPv6 address");
    host = hostport.substr(1, close - 1);
    hostport = hostport.substr(close + 1);
    if (!hostport.empty() && hostport.front() == ':') {
      hostport.remove_prefix(1);
    } else {
      hostport = {};
    }
  } else {
    auto colon = hostport.rfind(':');
    if (colon != std::string_view::npos) {
      host = hostport.substr(0, colon);
      hostport = hostport.substr(colon + 1);
    } else {
      hostport = {};
    }
  }
  if (host.empty()) return Fail(why, "has no host");
  out.host = std::string(host);
  if (!hostport.empty()) {
    int port = 0;
    auto [p, ec] = std::from_chars(hostport.data(), hostport.data() + hostport.size(), port);
    if (ec != std::errc() || p != hostport.data() + hostport.size() || port < 1 || port > 65535) {
      return Fail(why, "has an invalid port");
    }
    out.port = port;
  }
  if (!path.empty()) {
    int db = 0;
    auto [p, ec] = std::from_chars(path.data(), path.data() + path.size(), db);
    if (ec != std::errc() || p != path.data() + path.size() || db < 0 || db > 15) {
      return Fail(why, "has an invalid database number");
    }
    out.db = db;
  }
  return out;
}

}  // namespace tenant::api::config
