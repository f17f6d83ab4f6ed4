#include "tests/support/service_start.hpp"

#include <cstdlib>
#include <iostream>
#include <thread>

#include "tests/support/service_files.hpp"

namespace tenant::test {

void WaitUntilReady(ChildProcess& child, const std::function<bool()>& ready,
                    const std::string& what, const std::filesystem::path& log,
                    std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (ready()) return;
    if (!child.Running()) {
      std::string tail = TailFile(log, 40);
      std::string message = what + " exited during start-up (exit code " +
                            std::to_string(child.ExitCode().value_or(-1)) + "); last lines of " +
                            log.string() + ":\n" + tail;
      if (tail.find("Address already in use") != std::string::npos) throw PortInUseError(message);
      throw std::runtime_error(message);
    }
    if (std::chrono::steady_clock::now() > deadline) {
      child.Stop();
      throw std::runtime_error(what + " did not accept connections within " +
                               std::to_string(timeout.count()) + " ms; last lines of " +
                               log.string() + ":\n" + TailFile(log, 40));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

std::unique_ptr<DirectoryGuard> GuardDirectory(const std::filesystem::path& dir) {
  if (KeepServiceDirs()) return nullptr;
  return std::make_unique<DirectoryGuard>(dir);
}

bool KeepServiceDirs() {
  const char* keep = std::getenv("TENANT_TEST_KEEP");
  return keep != nullptr && std::string(keep) == "1";
}

void ReportStarted(const std::string& what, int port, std::chrono::steady_clock::time_point t0,
                   std::chrono::steady_clock::time_point t1, const std::filesystem::path& dir) {
  auto ms = [](auto d) { return std::chrono::duration_cast<std::chrono::milliseconds>(d).count(); };
  const auto now = std::chrono::steady_clock::now();
  std::cerr << "harness: " << what << " ready on 127.0.0.1:" << port << " in " << ms(now - t0)
            << " ms (setup " << ms(t1 - t0) << " ms, server start " << ms(now - t1)
            << " ms; dir " << dir.string() << (KeepServiceDirs() ? ", kept" : "") << ")\n";
}

}  // namespace tenant::test
