#pragma once
// The life of one test service driven by a script in the style of tests/services/*.sh:
// `SCRIPT init DIR PORT` prepares DIR (and writes DIR/env), `SCRIPT run DIR` runs the
// server in the foreground. PostgresServer and RedisServer are this plus what their
// clients need to know (credentials, URLs) and how to tell that the server is ready.
//
// The first EnsureStarted() sets up in a fresh temporary directory on a free loopback
// port and starts the server. When the server reports that the port was taken in the
// meantime (another process bound it between FreeLoopbackPort() and the server's bind),
// it sets up again from scratch on a new port, up to kSetupAttempts times. Any other
// failure, or running out of attempts, is remembered: every later EnsureStarted() throws
// the same message at once instead of trying again, so a suite with a broken service fails
// fast in every test instead of slowly in each.
#include <chrono>
#include <csignal>
#include <cstddef>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

namespace tenant::test {

struct ServiceDefinition {
  std::string name;                // in messages: "PostgreSQL"
  std::string description;         // in the started line: "PostgreSQL 15 (TLS, SCRAM)"
  std::filesystem::path script;    // ServiceScript("postgres.sh")
  std::string dir_prefix;          // TempDir prefix: "pg"
  int stop_signal = SIGTERM;       // PostgreSQL: SIGINT (fast shutdown)
  std::chrono::milliseconds stop_grace{10000};
  std::chrono::milliseconds start_timeout{30000};
  // After `init`: reads what the script wrote to DIR/env (the argument); throws if
  // something is missing.
  std::function<void(const std::filesystem::path& env_file)> configure;
  // True once the server accepts clients (e.g. a TLS login succeeds).
  std::function<bool()> ready;
  // Where the port comes from; FreeLoopbackPort() unless a test injects collisions.
  std::function<int()> pick_port;
};

class ScriptedService {
 public:
  static constexpr int kSetupAttempts = 3;

  explicit ScriptedService(ServiceDefinition definition);
  ~ScriptedService();  // stops the server, then removes its directory
  ScriptedService(const ScriptedService&) = delete;
  ScriptedService& operator=(const ScriptedService&) = delete;

  // Sets up and starts the server on the first call (see above); thread-safe. Throws
  // std::runtime_error (with the server's log tail) when it cannot start, now or before.
  void EnsureStarted();

  // For outage tests, after EnsureStarted(); not thread-safe.
  void Stop();   // stop_signal, waits for exit; no-op when stopped
  void Start();  // same port, directory and data; waits until ready
  bool running() const;

  int port() const { return port_; }
  std::filesystem::path dir() const;  // "" before set-up
  std::filesystem::path log() const;  // DIR/server.log: the server's stdout and stderr
  std::string LogTail(std::size_t lines) const;

 private:
  void SetUp();
  void TearDown();

  ServiceDefinition def_;
  std::mutex mutex_;
  struct State;
  std::unique_ptr<State> state_;  // directory, guard, child: torn down together
  int port_ = 0;
  std::string failure_;  // set when set-up failed for good; EnsureStarted() rethrows it
};

}  // namespace tenant::test
