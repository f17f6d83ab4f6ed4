// ScriptedService, the start-up PostgresServer and RedisServer share, with a small real
// service (a script like tests/services/*.sh running a Python TCP server): a port taken
// between choosing it and the server's bind is retried on a new port; running out of
// attempts, or any other failure, is remembered and not retried.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>

#include "tests/support/free_port.hpp"
#include "tests/support/scripted_service.hpp"
#include "tests/support/service_files.hpp"
#include "tests/support/temp_dir.hpp"

using namespace std::chrono_literals;
using tenant::test::ScriptedService;
using tenant::test::ServiceDefinition;
using tenant::test::TempDir;

namespace {

// `init DIR PORT` writes a random token to DIR/env; `run DIR` serves it to every client
// (so the readiness probe knows it reached this server, not whoever else holds the port).
// FAIL_RUN=1 in the script's directory makes `run` fail at start-up the way a broken
// configuration does.
constexpr const char* kScript = R"SH(#!/usr/bin/env bash
set -euo pipefail
dir=$2
case $1 in
  init)
    mkdir -p "$dir"
    printf "export DEMO_PORT='%s'\nexport DEMO_TOKEN='%s'\n" "$3" "$(openssl rand -hex 8)" >"$dir/env"
    ;;
  run)
    [[ -f $(dirname "$0")/FAIL_RUN ]] && { echo "FATAL: demo configuration is broken" >&2; exit 1; }
    . "$dir/env"
    exec /usr/bin/python3 -c '
import socket, sys
s = socket.socket()
# like real servers: a restart on the same port must not trip over TIME_WAIT connections
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen()
while True:
    c, _ = s.accept()
    c.sendall(sys.argv[2].encode())
    c.close()
' "$DEMO_PORT" "$DEMO_TOKEN"
    ;;
esac
)SH";

// A listening socket on a free loopback port, closed by the destructor.
class TakenPort {
 public:
  TakenPort() : fd_(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) {
    REQUIRE(fd_ >= 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    REQUIRE(listen(fd_, 8) == 0);
    socklen_t len = sizeof addr;
    REQUIRE(getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
    port_ = ntohs(addr.sin_port);
  }
  ~TakenPort() { close(fd_); }
  TakenPort(const TakenPort&) = delete;
  TakenPort& operator=(const TakenPort&) = delete;
  int port() const { return port_; }

 private:
  int fd_;
  int port_ = 0;
};

// What a client reads from 127.0.0.1:port within a second ("" when nothing).
std::string ReadFrom(int port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return "";
  timeval timeout{1, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  std::string out;
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
    char buf[64];
    const ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n > 0) out.assign(buf, static_cast<std::size_t>(n));
  }
  close(fd);
  return out;
}

// A demo service whose ports come from `ports` (called once per set-up attempt).
struct Demo {
  explicit Demo(std::function<int()> ports) : script_dir("svc") {
    std::ofstream(script_dir.path() / "demo.sh") << kScript;
    service = std::make_unique<ScriptedService>(ServiceDefinition{
        .name = "Demo",
        .description = "demo service",
        .script = script_dir.path() / "demo.sh",
        .dir_prefix = "demo",
        .stop_signal = SIGTERM,
        .stop_grace = 5s,
        .start_timeout = 20s,
        .configure =
            [this](const std::filesystem::path& env_file) {
              token = tenant::test::EnvValue(tenant::test::ReadEnvFile(env_file), "DEMO_TOKEN", env_file);
            },
        .ready = [this] { return ReadFrom(service->port()) == token; },
        .pick_port =
            [this, ports] {
              ++picks;
              return ports();
            }});
  }
  TempDir script_dir;
  std::string token;
  int picks = 0;
  std::unique_ptr<ScriptedService> service;
};

}  // namespace

TEST_CASE("ScriptedService: a port taken before the server binds it is set up again on a new port",
          "[harness][process]") {
  TakenPort taken;
  int calls = 0;
  Demo demo([&] { return calls++ == 0 ? taken.port() : tenant::test::FreeLoopbackPort(); });
  demo.service->EnsureStarted();
  CHECK(demo.picks == 2);
  CHECK(demo.service->port() != taken.port());
  CHECK(demo.service->running());
  CHECK(ReadFrom(demo.service->port()) == demo.token);
  CHECK(std::filesystem::exists(demo.service->dir() / "env"));

  // Later calls do nothing; Stop/Start keep port and directory.
  const auto dir = demo.service->dir();
  demo.service->EnsureStarted();
  CHECK(demo.picks == 2);
  const int port = demo.service->port();
  demo.service->Stop();
  CHECK_FALSE(demo.service->running());
  CHECK(ReadFrom(port).empty());
  demo.service->Start();
  CHECK(demo.service->port() == port);
  CHECK(demo.service->dir() == dir);
  CHECK(ReadFrom(port) == demo.token);
}

TEST_CASE("ScriptedService: out of attempts on taken ports; the failure is remembered", "[harness][process]") {
  TakenPort taken;
  Demo demo([&] { return taken.port(); });
  CHECK_THROWS_WITH(demo.service->EnsureStarted(),
                    Catch::Contains("Demo could not get a free port after 3 attempts") &&
                        Catch::Contains("Address already in use"));
  CHECK(demo.picks == ScriptedService::kSetupAttempts);
  CHECK_FALSE(demo.service->running());
  CHECK(demo.service->dir().empty());  // every attempt's directory is gone
  // Not tried again: the same message at once.
  CHECK_THROWS_WITH(demo.service->EnsureStarted(), Catch::Contains("Demo could not get a free port after 3 attempts"));
  CHECK(demo.picks == ScriptedService::kSetupAttempts);
}

TEST_CASE("ScriptedService: another start-up failure is not retried and is remembered", "[harness][process]") {
  Demo demo([] { return tenant::test::FreeLoopbackPort(); });
  std::ofstream(demo.script_dir.path() / "FAIL_RUN") << "1";
  CHECK_THROWS_WITH(demo.service->EnsureStarted(), Catch::Contains("Demo test server could not start") &&
                                                       Catch::Contains("FATAL: demo configuration is broken"));
  CHECK(demo.picks == 1);
  std::filesystem::remove(demo.script_dir.path() / "FAIL_RUN");
  // Even with the cause gone: the suite's first failure stands.
  CHECK_THROWS_WITH(demo.service->EnsureStarted(), Catch::Contains("Demo test server could not start"));
  CHECK(demo.picks == 1);
}
