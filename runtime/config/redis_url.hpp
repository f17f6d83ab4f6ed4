#pragma once
#include <optional>
#include <string>
#include <string_view>

namespace tenant::api::config {

struct RedisUrl {
  std::string host = "127.0.0.1";
  int port = 6379;
  std::string username;  // ACL user (empty = default user)
  std::string password;
  int db = 0;
};

// redis://[[user]:password@]host[:port][/db]. Returns nullopt (and the reason, never the
// password) when malformed. rediss:// is refused (hiredis here is built without TLS).
std::optional<RedisUrl> ParseRedisUrl(std::string_view url, std::string* why = nullptr);

}  // namespace tenant::api::config
