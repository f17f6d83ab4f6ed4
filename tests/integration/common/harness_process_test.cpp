// The process plumbing under the service starters: children never outlive their owner,
// setup commands report failures with their output, temporary directories go away.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <thread>

#include "tests/support/child_process.hpp"
#include "tests/support/free_port.hpp"
#include "tests/support/service_start.hpp"
#include "tests/support/temp_dir.hpp"

using namespace std::chrono_literals;
using tenant::test::ChildOptions;
using tenant::test::ChildProcess;
using tenant::test::TempDir;

namespace {

// True while a process of group `pgid` still runs. Zombies do not count: orphans are reaped
// by PID 1 whenever it gets to it, which in containers can take a while.
bool GroupAlive(pid_t pgid) {
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    std::ifstream stat(entry.path() / "stat");
    std::string line;
    if (!std::getline(stat, line)) continue;
    auto close_paren = line.rfind(')');
    if (close_paren == std::string::npos) continue;
    std::istringstream rest(line.substr(close_paren + 1));
    char state = 0;
    long ppid = 0, pgrp = 0;
    if (rest >> state >> ppid >> pgrp && pgrp == pgid && state != 'Z' && state != 'X') return true;
  }
  return false;
}

bool ProcessAlive(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(stat, line)) return false;
  auto close_paren = line.rfind(')');
  return close_paren != std::string::npos && line.size() > close_paren + 2 &&
         line[close_paren + 2] != 'Z';
}

bool WaitFor(const std::function<bool()>& condition, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(20ms);
  }
  return condition();
}

// Pid of the first process printed to a file by a shell child (written as "<pid>\n").
pid_t ReadPid(const std::filesystem::path& file) {
  pid_t pid = 0;
  WaitFor([&] { return std::ifstream(file) >> pid && pid > 0; }, 5s);
  return pid;
}

}  // namespace

TEST_CASE("ChildProcess: Stop ends the service and everything in its process group", "[harness][process]") {
  TempDir dir("proc");
  ChildOptions options;
  // The service starts a background grandchild in the same group, as servers do.
  options.argv = {"bash", "-c", "sleep 300 & echo $! > grandchild.pid; wait"};
  options.working_dir = dir.path();
  options.log_file = dir.path() / "log";
  ChildProcess child(options);
  const pid_t grandchild = ReadPid(dir.path() / "grandchild.pid");
  REQUIRE(grandchild > 0);
  CHECK(child.Running());
  CHECK(getpgid(grandchild) == child.pid());

  // bash waits in `wait`, which SIGTERM interrupts; the sleeping grandchild needs the group kill.
  const int code = child.Stop(SIGTERM, 5s);
  CHECK(code == 128 + SIGTERM);
  CHECK_FALSE(child.Running());
  CHECK(WaitFor([&] { return !ProcessAlive(grandchild); }, 5s));
  CHECK_FALSE(GroupAlive(child.pid()));
}

TEST_CASE("ChildProcess: a service that ignores the stop signal is killed after the grace time", "[harness][process]") {
  TempDir dir("proc");
  ChildOptions options;
  options.argv = {"bash", "-c", "trap '' TERM; touch trapped; while true; do sleep 0.1; done"};
  options.working_dir = dir.path();
  ChildProcess child(options);
  REQUIRE(WaitFor([&] { return std::filesystem::exists(dir.path() / "trapped"); }, 5s));
  const auto t0 = std::chrono::steady_clock::now();
  CHECK(child.Stop(SIGTERM, 300ms) == 128 + SIGKILL);
  CHECK(std::chrono::steady_clock::now() - t0 < 5s);
  CHECK_FALSE(GroupAlive(child.pid()));
}

TEST_CASE("ChildProcess: exit code of a service that exits by itself", "[harness][process]") {
  ChildOptions options;
  options.argv = {"bash", "-c", "echo to-the-log; exit 7"};
  TempDir dir("proc");
  options.log_file = dir.path() / "log";
  ChildProcess child(options);
  REQUIRE(WaitFor([&] { return !child.Running(); }, 5s));
  CHECK(child.ExitCode() == 7);
  std::string line;
  std::getline(std::ifstream(options.log_file), line);
  CHECK(line == "to-the-log");
}

TEST_CASE("ChildProcess: extra_env adds and overrides environment variables", "[harness][process]") {
  TempDir dir("proc");
  ChildOptions options;
  options.argv = {"bash", "-c", "echo \"$HOME|$TENANT_HARNESS_EXTRA\""};
  options.extra_env = {"HOME=/overridden", "TENANT_HARNESS_EXTRA=added"};
  options.log_file = dir.path() / "log";
  ChildProcess child(options);
  REQUIRE(WaitFor([&] { return !child.Running(); }, 5s));
  CHECK(child.ExitCode() == 0);
  std::string line;
  std::getline(std::ifstream(options.log_file), line);
  CHECK(line == "/overridden|added");
}

TEST_CASE("ChildProcess: a missing executable fails with exit code 127 and a logged reason", "[harness][process]") {
  ChildOptions options;
  options.argv = {"/nonexistent/tenant-harness-binary"};
  TempDir dir("proc");
  options.log_file = dir.path() / "log";
  ChildProcess child(options);
  REQUIRE(WaitFor([&] { return !child.Running(); }, 5s));
  CHECK(child.ExitCode() == 127);
  std::string line;
  std::getline(std::ifstream(options.log_file), line);
  CHECK_THAT(line, Catch::Contains("cannot execute /nonexistent/tenant-harness-binary"));
}

TEST_CASE("ChildProcess: the service dies and its directory goes when the owner is SIGKILLed", "[harness][process]") {
  // A forked copy of this test process plays the test that crashes: it starts a service,
  // reports the service's process group, then dies by SIGKILL without any cleanup.
  TempDir witness("proc");
  const auto data_dir = witness.path() / "service-data";
  std::filesystem::create_directory(data_dir);
  int report[2];
  REQUIRE(pipe(report) == 0);
  pid_t owner = fork();
  REQUIRE(owner >= 0);
  if (owner == 0) {
    close(report[0]);
    ChildOptions options;
    options.argv = {"sleep", "300"};
    options.remove_on_orphan = data_dir;
    ChildProcess child(options);
    pid_t group = child.pid();
    if (write(report[1], &group, sizeof group) != sizeof group) _exit(1);
    raise(SIGKILL);
  }
  close(report[1]);
  pid_t group = 0;
  REQUIRE(read(report[0], &group, sizeof group) == sizeof group);
  close(report[0]);
  int status = 0;
  REQUIRE(waitpid(owner, &status, 0) == owner);
  REQUIRE(WIFSIGNALED(status));

  CHECK(WaitFor([&] { return !GroupAlive(group); }, 10s));
  CHECK(WaitFor([&] { return !std::filesystem::exists(data_dir); }, 10s));
}

TEST_CASE("RunCommand: output on success, output and exit code on failure, timeout", "[harness][process]") {
  CHECK(tenant::test::RunCommand({"bash", "-c", "echo out; echo err >&2"}) == "out\nerr\n");
  try {
    tenant::test::RunCommand({"bash", "-c", "echo why-it-failed; exit 3"});
    FAIL("RunCommand did not throw");
  } catch (const std::runtime_error& e) {
    CHECK_THAT(e.what(), Catch::Contains("exit code 3") && Catch::Contains("why-it-failed"));
  }
  const auto t0 = std::chrono::steady_clock::now();
  CHECK_THROWS_WITH(tenant::test::RunCommand({"bash", "-c", "sleep 300 & wait"}, 300ms),
                    Catch::Contains("timed out"));
  CHECK(std::chrono::steady_clock::now() - t0 < 5s);
}

TEST_CASE("TempDir: removed with its contents; stale directories of dead owners are removed", "[harness][process]") {
  std::filesystem::path path;
  {
    TempDir dir("unit");
    path = dir.path();
    CHECK(std::filesystem::is_directory(path));
    CHECK_THAT(path.filename().string(), Catch::StartsWith("tenant-test-unit-"));
    std::ofstream(path / "file") << "x";
  }
  CHECK_FALSE(std::filesystem::exists(path));

  // A directory whose recorded owner has exited (a reaped child's pid) is stale.
  TempDir stale("stale");
  pid_t dead = fork();
  if (dead == 0) _exit(0);
  REQUIRE(waitpid(dead, nullptr, 0) == dead);
  std::ofstream(stale.path() / "owner.pid") << dead << '\n';
  TempDir live("live");
  tenant::test::RemoveStaleTempDirs();
  CHECK_FALSE(std::filesystem::exists(stale.path()));
  CHECK(std::filesystem::exists(live.path()));
}

TEST_CASE("FreeLoopbackPort: a bindable loopback port", "[harness][process]") {
  const int port = tenant::test::FreeLoopbackPort();
  REQUIRE(port > 0);
  REQUIRE(port < 65536);
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  CHECK(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  close(fd);
}

TEST_CASE("WaitUntilReady: a service that dies at start-up fails with its log tail", "[harness][process]") {
  TempDir dir("proc");
  ChildOptions options;
  options.log_file = dir.path() / "server.log";
  SECTION("any start-up error") {
    options.argv = {"bash", "-c", "echo 'FATAL: config is broken' >&2; exit 1"};
    ChildProcess child(options);
    CHECK_THROWS_WITH(tenant::test::WaitUntilReady(
                          child, [] { return false; }, "Demo service", options.log_file, 10s),
                      Catch::Contains("Demo service exited during start-up (exit code 1)") &&
                          Catch::Contains("FATAL: config is broken"));
  }
  SECTION("port taken: a distinct error type, so setup retries with another port") {
    options.argv = {"bash", "-c", "echo 'bind: Address already in use' >&2; exit 1"};
    ChildProcess child(options);
    CHECK_THROWS_AS(tenant::test::WaitUntilReady(
                        child, [] { return false; }, "Demo service", options.log_file, 10s),
                    tenant::test::PortInUseError);
  }
  SECTION("never ready: times out and stops the service") {
    options.argv = {"sleep", "300"};
    ChildProcess child(options);
    CHECK_THROWS_WITH(tenant::test::WaitUntilReady(
                          child, [] { return false; }, "Demo service", options.log_file, 200ms),
                      Catch::Contains("did not accept connections within 200 ms"));
    CHECK_FALSE(child.Running());
  }
}

TEST_CASE("GuardDirectory: a service directory goes when the owner dies, even with its process tree", "[harness][process]") {
  TempDir witness("proc");
  const auto service_dir = witness.path() / "stopped-service";
  std::filesystem::create_directory(service_dir);
  pid_t owner = fork();
  REQUIRE(owner >= 0);
  if (owner == 0) {
    // Like CTest on timeout: the owner and all its children die by SIGKILL at once.
    setpgid(0, 0);
    auto guard = tenant::test::GuardDirectory(service_dir);
    ChildOptions options;
    options.argv = {"sleep", "300"};
    ChildProcess child(options);
    std::ofstream(witness.path() / "guarded") << child.pid();
    kill(-child.pid(), SIGKILL);
    kill(child.pid(), SIGKILL);
    raise(SIGKILL);
  }
  int status = 0;
  REQUIRE(waitpid(owner, &status, 0) == owner);
  REQUIRE(std::filesystem::exists(witness.path() / "guarded"));
  CHECK(WaitFor([&] { return !std::filesystem::exists(service_dir); }, 10s));

  SECTION("but not while its owner lives") {
    const auto kept = witness.path() / "kept";
    std::filesystem::create_directory(kept);
    {
      auto guard = tenant::test::GuardDirectory(kept);
      REQUIRE(guard);
    }
    std::this_thread::sleep_for(500ms);  // a wrongly triggered guard removes it at once
    CHECK(std::filesystem::exists(kept));
  }
}
