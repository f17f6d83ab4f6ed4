#pragma once
// RAII for a service process. The child runs in its own process group under a small
// supervisor process that kills the whole group as soon as the test process is gone,
// however it ends (normal exit, crash, SIGKILL, Ctrl-C): the supervisor watches a pipe
// whose write end only the test process holds (kernel closes it on process death, unlike
// PR_SET_PDEATHSIG which fires when the forking *thread* exits and is cleared by setuid).
// The destructor always terminates the group and reaps it.
#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <sys/types.h>
#include <vector>

namespace tenant::test {

struct ChildOptions {
  std::vector<std::string> argv;             // argv[0] is looked up in PATH
  std::vector<std::string> extra_env;        // "KEY=value" added to the inherited environment
  std::filesystem::path log_file;            // stdout+stderr appended here ("" = /dev/null)
  std::filesystem::path working_dir;         // "" = inherit
};

class ChildProcess {
 public:
  explicit ChildProcess(const ChildOptions& options);  // throws std::system_error
  ~ChildProcess();                                      // Kill(SIGTERM, 10s)
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  pid_t pid() const { return pid_; }  // the supervisor; also the process group id
  // True until the service has exited (reaps it without blocking).
  bool Running();
  // Exit status as a shell would show it (128+signal when killed); nullopt while running.
  std::optional<int> ExitCode() const { return exit_code_; }
  // Sends `sig` to the service's process group, waits up to `grace` for it to exit, then
  // SIGKILLs the group. Returns the exit code. Safe to call when already exited.
  int Stop(int sig, std::chrono::milliseconds grace);

 private:
  bool Reap(bool block);
  pid_t pid_ = -1;
  int lifeline_fd_ = -1;  // write end; closing it tells the supervisor to kill the group
  std::optional<int> exit_code_;
};

// Runs a command to completion (stdout+stderr captured) — for setup steps like
// `postgres.sh init`. Throws std::runtime_error with the output if it exits non-zero or
// runs longer than `timeout`.
std::string RunCommand(const std::vector<std::string>& argv,
                       std::chrono::milliseconds timeout = std::chrono::seconds(120));

}  // namespace tenant::test
