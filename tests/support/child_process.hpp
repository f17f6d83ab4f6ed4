#pragma once
// RAII for a service process. The service runs in its own process group under a small
// supervisor process (the direct child, whose pid is the group id). The supervisor stops
// the service as soon as the test process is gone, however it ends (normal exit, crash,
// SIGKILL, Ctrl-C): it watches a pipe whose write end only the test process holds, and the
// kernel closes that on process death. (PR_SET_PDEATHSIG alone is not enough: it fires
// when the forking *thread* exits and is cleared when the service drops root privileges.)
// The destructor always stops the group and reaps it.
#include <chrono>
#include <csignal>
#include <filesystem>
#include <optional>
#include <string>
#include <sys/types.h>
#include <vector>

namespace tenant::test {

struct ChildOptions {
  std::vector<std::string> argv;       // argv[0] is looked up in PATH
  std::vector<std::string> extra_env;  // "KEY=value" added to the inherited environment
  std::filesystem::path log_file;      // stdout+stderr appended here ("" = /dev/null)
  std::filesystem::path working_dir;   // "" = inherit
  int stop_signal = SIGTERM;           // graceful stop (PostgreSQL: SIGINT = fast shutdown)
  std::chrono::milliseconds stop_grace{10000};  // then SIGKILL
  // Removed (rm -rf) by the supervisor after it stopped an orphaned service, so a killed
  // test process leaves no data directory behind either. "" = nothing.
  std::filesystem::path remove_on_orphan;
};

class ChildProcess {
 public:
  explicit ChildProcess(const ChildOptions& options);  // throws std::system_error
  ~ChildProcess();                                      // Stop(stop_signal, stop_grace)
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  pid_t pid() const { return pid_; }  // the supervisor; also the process group id
  // True until the service has exited (reaps it without blocking).
  bool Running();
  // Exit status as a shell would show it (128+signal when killed); nullopt while running.
  std::optional<int> ExitCode() const { return exit_code_; }
  // Sends `sig` to the service's process group, waits up to `grace` for it to exit, then
  // SIGKILLs the group. Returns the exit code. Safe to call when already exited. In a
  // fork()ed copy of the creating process it does nothing and returns -1.
  int Stop(int sig, std::chrono::milliseconds grace);
  int Stop() { return Stop(stop_signal_, stop_grace_); }

 private:
  bool Reap(bool block);
  pid_t pid_ = -1;
  pid_t owner_ = -1;      // the creating process; forked copies of it leave the service alone
  int lifeline_fd_ = -1;  // write end; its closing tells the supervisor to stop the service
  int stop_signal_;
  std::chrono::milliseconds stop_grace_;
  std::optional<int> exit_code_;
};

// Runs a command to completion with stdout+stderr captured — for setup steps such as
// `postgres.sh init`. Returns the output; throws std::runtime_error with the output if it
// exits non-zero or runs longer than `timeout` (then its process group is killed).
std::string RunCommand(const std::vector<std::string>& argv,
                       std::chrono::milliseconds timeout = std::chrono::seconds(120));

}  // namespace tenant::test
