#include "tests/support/redis_server.hpp"

#include <hiredis/hiredis.h>

#include <mutex>
#include <optional>

#include "tests/support/child_process.hpp"
#include "tests/support/free_port.hpp"
#include "tests/support/service_files.hpp"
#include "tests/support/service_start.hpp"
#include "tests/support/temp_dir.hpp"

namespace tenant::test {
namespace {

constexpr auto kStartTimeout = std::chrono::seconds(30);
constexpr int kSetupAttempts = 3;

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
  std::optional<TempDir> dir;  // before `child`: stop the server, then remove its directory
  std::unique_ptr<DirectoryGuard> dir_guard;  // removes `dir` if we die while no server runs
  int port = 0;
  std::string password;
  std::unique_ptr<ChildProcess> child;
  std::string failure;

  std::filesystem::path log() const { return dir->path() / "server.log"; }
};

RedisServer::RedisServer() : impl_(std::make_unique<Impl>()) {}

RedisServer::~RedisServer() = default;

RedisServer& RedisServer::Shared() {
  static std::mutex mutex;
  static RedisServer server;
  std::lock_guard lock(mutex);
  Impl& impl = *server.impl_;
  if (impl.dir) return server;
  if (!impl.failure.empty()) throw std::runtime_error(impl.failure);

  const auto t0 = std::chrono::steady_clock::now();
  const auto script = ServiceScript("redis.sh");
  for (int attempt = 1;; ++attempt) {
    try {
      impl.dir.emplace("redis");
      if (KeepServiceDirs()) impl.dir->Release();
      impl.dir_guard = GuardDirectory(impl.dir->path());
      impl.port = FreeLoopbackPort();
      RunCommand({"bash", script.string(), "init", impl.dir->path().string(),
                  std::to_string(impl.port)});
      const auto env_file = impl.dir->path() / "env";
      impl.password = EnvValue(ReadEnvFile(env_file), "REDIS_PASSWORD", env_file);
      const auto t1 = std::chrono::steady_clock::now();
      server.Start();
      ReportStarted("Redis 7 (requirepass)", impl.port, t0, t1, impl.dir->path());
      return server;
    } catch (const PortInUseError& e) {
      if (attempt < kSetupAttempts) {
        impl.child.reset();
        impl.dir_guard.reset();
        impl.dir.reset();
        continue;
      }
      impl.failure = "Redis could not get a free port after " + std::to_string(kSetupAttempts) +
                     " attempts: " + e.what();
    } catch (const std::exception& e) {
      impl.failure = std::string("Redis test server could not start: ") + e.what();
    }
    impl.child.reset();
    impl.dir_guard.reset();
    impl.dir.reset();
    throw std::runtime_error(impl.failure);
  }
}

std::string RedisServer::host() const { return "127.0.0.1"; }
int RedisServer::port() const { return impl_->port; }
std::string RedisServer::password() const { return impl_->password; }
std::string RedisServer::dir() const { return impl_->dir ? impl_->dir->path().string() : ""; }

std::string RedisServer::url() const {
  return "redis://:" + password() + "@" + host() + ":" + std::to_string(port()) + "/0";
}

void RedisServer::Stop() {
  if (impl_->child) impl_->child->Stop();
  impl_->child.reset();
}

void RedisServer::Start() {
  if (running()) return;
  impl_->child.reset();
  ChildOptions options;
  options.argv = {"bash", ServiceScript("redis.sh").string(), "run", dir()};
  options.log_file = impl_->log();
  options.stop_signal = SIGTERM;
  if (!KeepServiceDirs()) options.remove_on_orphan = dir();
  impl_->child = std::make_unique<ChildProcess>(options);
  WaitUntilReady(
      *impl_->child, [&] { return AuthAndPing(impl_->port, impl_->password); }, "Redis",
      impl_->log(), kStartTimeout);
}

bool RedisServer::running() const { return impl_->child && impl_->child->Running(); }

std::string RedisServer::LogTail(std::size_t lines) const {
  return impl_->dir ? TailFile(impl_->log(), lines) : "";
}

}  // namespace tenant::test
