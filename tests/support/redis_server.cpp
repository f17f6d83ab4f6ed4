#include "tests/support/redis_server.hpp"

#include <hiredis/hiredis.h>

#include <csignal>
#include <memory>

#include "tests/support/scripted_service.hpp"
#include "tests/support/service_files.hpp"

namespace tenant::test {
namespace {

bool AuthAndPing(int port, const std::string& password) {
  const timeval timeout{1, 0};
  std::unique_ptr<redisContext, decltype(&redisFree)> ctx(
      redisConnectWithTimeout("127.0.0.1", port, timeout), &redisFree);
  if (!ctx || ctx->err != 0) return false;
  auto command = [&](const char* format, auto... args) {
    return std::unique_ptr<redisReply, decltype(&freeReplyObject)>(
        static_cast<redisReply*>(redisCommand(ctx.get(), format, args...)), &freeReplyObject);
  };
  auto auth = command("AUTH %s", password.c_str());
  if (!auth || auth->type != REDIS_REPLY_STATUS) return false;
  auto pong = command("PING");
  return pong && pong->type == REDIS_REPLY_STATUS && std::string(pong->str) == "PONG";
}

}  // namespace

struct RedisServer::Impl {
  Impl()
      : service({.name = "Redis",
                 .description = "Redis 7 (requirepass)",
                 .script = ServiceScript("redis.sh"),
                 .dir_prefix = "redis",
                 .stop_signal = SIGTERM,
                 .stop_grace = std::chrono::seconds(10),
                 .start_timeout = std::chrono::seconds(30),
                 .configure =
                     [this](const std::filesystem::path& env_file) {
                       password = EnvValue(ReadEnvFile(env_file), "REDIS_PASSWORD", env_file);
                     },
                 .ready = [this] { return AuthAndPing(service.port(), password); },
                 .pick_port = {}}) {}

  std::string password;
  ScriptedService service;  // last: stopped before the password it reads goes
};

RedisServer::RedisServer() : impl_(std::make_unique<Impl>()) {}

RedisServer::~RedisServer() = default;

RedisServer& RedisServer::Shared() {
  static RedisServer server;
  server.impl_->service.EnsureStarted();
  return server;
}

std::string RedisServer::host() const { return "127.0.0.1"; }
int RedisServer::port() const { return impl_->service.port(); }
std::string RedisServer::password() const { return impl_->password; }
std::string RedisServer::dir() const { return impl_->service.dir().string(); }

std::string RedisServer::url() const {
  return "redis://:" + password() + "@" + host() + ":" + std::to_string(port()) + "/0";
}

void RedisServer::Stop() { impl_->service.Stop(); }
void RedisServer::Start() { impl_->service.Start(); }
bool RedisServer::running() const { return impl_->service.running(); }
std::string RedisServer::LogTail(std::size_t lines) const { return impl_->service.LogTail(lines); }

}  // namespace tenant::test
