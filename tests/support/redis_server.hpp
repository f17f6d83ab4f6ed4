#pragma once
// A real Redis 7 for integration tests: requirepass, bound to 127.0.0.1 on a free port,
// no persistence, working directory in a temporary directory. Set up by
// tests/services/redis.sh so tests and scripts/demo.sh share one definition.
#include <cstddef>
#include <memory>
#include <string>

namespace tenant::test {

class RedisServer {
 public:
  // Started lazily on the first call, once per test process; stopped and its directory
  // removed at exit. Throws std::runtime_error (with the server log tail) if it cannot start.
  // Shared() is thread-safe; Stop()/Start() are not: call them from the test's own thread
  // (and Start() again before the test case ends — the next one expects a running server).
  static RedisServer& Shared();

  std::string host() const;  // "127.0.0.1"
  int port() const;
  std::string password() const;  // the requirepass of the default user; never log it
  std::string url() const;       // redis://:<password>@127.0.0.1:<port>/0

  void Stop();   // SIGTERM, waits for exit; no-op when stopped. Data is not persisted.
  void Start();  // same port again; waits until AUTH + PING succeed
  bool running() const;

  std::string dir() const;
  std::string LogTail(std::size_t lines = 40) const;

  ~RedisServer();
  RedisServer(const RedisServer&) = delete;
  RedisServer& operator=(const RedisServer&) = delete;

 private:
  RedisServer();
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace tenant::test
