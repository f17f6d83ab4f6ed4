#pragma once
// Shared start-up logic of the service starters (PostgresServer, RedisServer).
#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>

#include "tests/support/child_process.hpp"
#include "tests/support/dir_guard.hpp"

namespace tenant::test {

// The server exited at start-up because its port was taken in the meantime: the caller
// sets up again with a new port (only on first start; Start() after Stop() must keep it).
class PortInUseError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Polls `ready` until it returns true. Throws (with the log tail) when the service exits
// first or `timeout` passes; in the timeout case the child is stopped first.
void WaitUntilReady(ChildProcess& child, const std::function<bool()>& ready,
                    const std::string& what, const std::filesystem::path& log,
                    std::chrono::milliseconds timeout);

// A DirectoryGuard for a service directory (nullptr when TENANT_TEST_KEEP=1): removes it if
// the test process dies without cleaning up, however it dies.
std::unique_ptr<DirectoryGuard> GuardDirectory(const std::filesystem::path& dir);

// TENANT_TEST_KEEP=1 keeps service directories (data, logs, certificates) for debugging.
bool KeepServiceDirs();

// One line on stderr (never secrets) so a test log shows where and how fast services came up.
// `t0` = before setup (certificates, initdb, config), `t1` = server process launched.
void ReportStarted(const std::string& what, int port, std::chrono::steady_clock::time_point t0,
                   std::chrono::steady_clock::time_point t1, const std::filesystem::path& dir);

}  // namespace tenant::test
