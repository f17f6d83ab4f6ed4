#include "tests/support/child_process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <spawn.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <stdexcept>
#include <string_view>
#include <system_error>
#include <thread>

extern char** environ;

namespace tenant::test {
namespace {

// Signals a terminal or a test runner sends to a whole process group: the supervisor
// ignores them (they are meant for the service), the service gets default handling.
constexpr std::array kGroupSignals = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE};

std::vector<char*> CStrings(std::vector<std::string>& strings) {
  std::vector<char*> out;
  out.reserve(strings.size() + 1);
  for (auto& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

int ExitCodeOf(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

// ---- Everything below until the end of Supervise() runs in forked children of a possibly
// multi-threaded process: async-signal-safe calls only, no allocation.

void WriteAll(int fd, const char* text) {
  size_t left = std::strlen(text);
  while (left > 0) {
    ssize_t n = write(fd, text, left);
    if (n <= 0) return;
    text += n;
    left -= static_cast<size_t>(n);
  }
}

void SleepMs(long ms) {
  timespec ts{ms / 1000, (ms % 1000) * 1000000L};
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
  }
}

// Closes every descriptor >= 3 except the ones listed (sorted ascending, each >= 3).
void CloseAllExcept(std::initializer_list<int> keep) {
  unsigned next = 3;
  for (int fd : keep) {
    if (static_cast<unsigned>(fd) > next) close_range(next, static_cast<unsigned>(fd) - 1, 0);
    next = static_cast<unsigned>(fd) + 1;
  }
  close_range(next, ~0U, 0);
}

struct SpawnPlan {  // prepared before fork()
  char** argv;
  char** envp;
  const char* working_dir;  // nullptr = inherit
  const char* remove_on_orphan;  // nullptr = nothing
  int log_fd;
  int devnull_fd;
  int lifeline_fd;  // read end
  int stop_signal;
  long stop_grace_ms;
};

[[noreturn]] void ExecService(const SpawnPlan& plan) {
  for (int sig : kGroupSignals) signal(sig, SIG_DFL);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  // Second line of defence: if the supervisor itself is SIGKILLed, take the service along.
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  dup2(plan.devnull_fd, STDIN_FILENO);
  dup2(plan.log_fd, STDOUT_FILENO);
  dup2(plan.log_fd, STDERR_FILENO);
  close_range(3, ~0U, 0);
  if (plan.working_dir != nullptr && chdir(plan.working_dir) != 0) {
    WriteAll(STDERR_FILENO, "harness: cannot chdir to the working directory\n");
    _exit(127);
  }
  execvpe(plan.argv[0], plan.argv, plan.envp);
  WriteAll(STDERR_FILENO, "harness: cannot execute ");
  WriteAll(STDERR_FILENO, plan.argv[0]);
  WriteAll(STDERR_FILENO, "\n");
  _exit(127);
}

[[noreturn]] void Supervise(const SpawnPlan& plan) {
  setpgid(0, 0);
  // The group signals arrive blocked (see the constructor) and stay blocked while ignored:
  // the service inherits both, so a stop signal that reaches it before it restored the
  // default disposition stays pending instead of being dropped.
  sigset_t group_signals;
  sigemptyset(&group_signals);
  for (int sig : kGroupSignals) sigaddset(&group_signals, sig);
  sigprocmask(SIG_SETMASK, &group_signals, nullptr);
  for (int sig : kGroupSignals) signal(sig, SIG_IGN);
  // Let go of the test process's stdio: a test runner waits for EOF on those pipes.
  dup2(plan.devnull_fd, STDIN_FILENO);
  dup2(plan.log_fd, STDOUT_FILENO);
  dup2(plan.log_fd, STDERR_FILENO);
  {
    int fds[] = {plan.log_fd, plan.devnull_fd, plan.lifeline_fd};
    std::sort(std::begin(fds), std::end(fds));
    CloseAllExcept({fds[0], fds[1], fds[2]});
  }
  pid_t service = fork();
  if (service < 0) _exit(127);
  if (service == 0) ExecService(plan);
  close(plan.log_fd);
  close(plan.devnull_fd);

  int status = 0;
  for (;;) {
    if (waitpid(service, &status, WNOHANG) == service) _exit(ExitCodeOf(status));
    pollfd p{plan.lifeline_fd, POLLIN, 0};
    int ready = poll(&p, 1, 100);
    if (ready > 0) break;  // EOF: the test process is gone (nobody ever writes)
  }
  // Orphaned: stop the service like the owner would have, then clean up after it.
  kill(service, plan.stop_signal);
  bool exited = false;
  for (long waited = 0; waited < plan.stop_grace_ms && !exited; waited += 20) {
    exited = waitpid(service, &status, WNOHANG) == service;
    if (!exited) SleepMs(20);
  }
  if (!exited) {
    kill(service, SIGKILL);
    waitpid(service, &status, 0);
  }
  if (plan.remove_on_orphan != nullptr) {
    const char* rm[] = {"rm", "-rf", "--", plan.remove_on_orphan, nullptr};
    execv("/bin/rm", const_cast<char**>(rm));
  }
  _exit(ExitCodeOf(status));
}

// ---- end of fork-safe code

int OpenOrThrow(const std::filesystem::path& path, int flags) {
  int fd = open(path.c_str(), flags | O_CLOEXEC, 0644);
  if (fd < 0) throw std::system_error(errno, std::generic_category(), "open " + path.string());
  return fd;
}

}  // namespace

ChildProcess::ChildProcess(const ChildOptions& options)
    : stop_signal_(options.stop_signal), stop_grace_(options.stop_grace) {
  if (options.argv.empty()) throw std::invalid_argument("ChildProcess: empty argv");
  std::vector<std::string> argv = options.argv;
  // The inherited environment minus the keys extra_env sets (the first match would win).
  auto key_of = [](std::string_view entry) { return entry.substr(0, entry.find('=') + 1); };
  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e) {
    bool overridden = std::any_of(options.extra_env.begin(), options.extra_env.end(),
                                  [&](const std::string& x) { return key_of(x) == key_of(*e); });
    if (!overridden) env.emplace_back(*e);
  }
  env.insert(env.end(), options.extra_env.begin(), options.extra_env.end());
  std::vector<char*> argv_c = CStrings(argv);
  std::vector<char*> env_c = CStrings(env);
  std::string working_dir = options.working_dir.string();
  std::string remove_dir = options.remove_on_orphan.string();

  int log_fd = options.log_file.empty()
                   ? OpenOrThrow("/dev/null", O_WRONLY)
                   : OpenOrThrow(options.log_file, O_WRONLY | O_CREAT | O_APPEND);
  int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
  int lifeline[2];
  if (devnull < 0 || pipe2(lifeline, O_CLOEXEC) != 0) {
    int err = errno;
    close(log_fd);
    if (devnull >= 0) close(devnull);
    throw std::system_error(err, std::generic_category(), "ChildProcess: pipe");
  }
  SpawnPlan plan{argv_c.data(),
                 env_c.data(),
                 working_dir.empty() ? nullptr : working_dir.c_str(),
                 remove_dir.empty() ? nullptr : remove_dir.c_str(),
                 log_fd,
                 devnull,
                 lifeline[0],
                 options.stop_signal,
                 static_cast<long>(options.stop_grace.count())};
  // Group signals stay blocked from fork() until the supervisor ignores them: a Stop()
  // right after construction must not hit the copy of this process running our handlers.
  sigset_t group_signals, previous;
  sigemptyset(&group_signals);
  for (int sig : kGroupSignals) sigaddset(&group_signals, sig);
  pthread_sigmask(SIG_BLOCK, &group_signals, &previous);
  pid_t pid = fork();
  if (pid == 0) {
    close(lifeline[1]);
    Supervise(plan);
  }
  int err = errno;
  pthread_sigmask(SIG_SETMASK, &previous, nullptr);
  close(log_fd);
  close(devnull);
  close(lifeline[0]);
  if (pid < 0) {
    close(lifeline[1]);
    throw std::system_error(err, std::generic_category(), "ChildProcess: fork");
  }
  // Also set the group from here, so a signal sent right after the constructor returns
  // reaches the group even if the child has not run setpgid yet.
  setpgid(pid, pid);
  pid_ = pid;
  owner_ = getpid();
  lifeline_fd_ = lifeline[1];
}

ChildProcess::~ChildProcess() {
  if (getpid() != owner_) {  // a fork()ed copy of the test process is exiting
    close(lifeline_fd_);
    return;
  }
  Stop();
  if (lifeline_fd_ >= 0) close(lifeline_fd_);
}

bool ChildProcess::Reap(bool block) {
  if (exit_code_) return true;
  if (getpid() != owner_) return false;  // not our child in a fork()ed copy
  siginfo_t info{};
  int flags = WEXITED | WNOWAIT | (block ? 0 : WNOHANG);
  while (waitid(P_PID, static_cast<id_t>(pid_), &info, flags) != 0) {
    if (errno != EINTR) {  // ECHILD: reaped elsewhere (SIGCHLD ignored)
      exit_code_ = -1;
      return true;
    }
  }
  if (info.si_pid == 0) return false;
  // The supervisor has exited but is not reaped yet, so its pid still names the group:
  // take down anything the service left in it, then reap.
  kill(-pid_, SIGKILL);
  int status = 0;
  while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  exit_code_ = ExitCodeOf(status);
  return true;
}

bool ChildProcess::Running() { return !Reap(false); }

int ChildProcess::Stop(int sig, std::chrono::milliseconds grace) {
  if (getpid() != owner_) return -1;
  if (Reap(false)) return *exit_code_;
  kill(-pid_, sig);  // the supervisor ignores it; the service gets it
  auto deadline = std::chrono::steady_clock::now() + grace;
  while (std::chrono::steady_clock::now() < deadline) {
    if (Reap(false)) return *exit_code_;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  kill(-pid_, SIGKILL);
  Reap(true);
  return *exit_code_;
}

std::string RunCommand(const std::vector<std::string>& argv_in, std::chrono::milliseconds timeout) {
  if (argv_in.empty()) throw std::invalid_argument("RunCommand: empty argv");
  std::vector<std::string> argv = argv_in;
  std::vector<char*> argv_c = CStrings(argv);
  int out[2];
  if (pipe2(out, O_CLOEXEC) != 0) throw std::system_error(errno, std::generic_category(), "pipe");

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, out[1], STDERR_FILENO);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t defaults, none;
  sigemptyset(&defaults);
  for (int sig : kGroupSignals) sigaddset(&defaults, sig);
  sigemptyset(&none);
  posix_spawnattr_setsigdefault(&attr, &defaults);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setpgroup(&attr, 0);  // own group, so a timeout kills its children too
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF |
                                      POSIX_SPAWN_SETSIGMASK);
  pid_t pid = -1;
  int rc = posix_spawnp(&pid, argv_c[0], &actions, &attr, argv_c.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  close(out[1]);
  if (rc != 0) {
    close(out[0]);
    throw std::system_error(rc, std::generic_category(), "RunCommand: spawn " + argv[0]);
  }

  std::string output;
  bool timed_out = false;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      timed_out = true;
      break;
    }
    pollfd p{out[0], POLLIN, 0};
    int ready = poll(&p, 1, static_cast<int>(std::min<long>(left.count(), 1000)));
    if (ready < 0 && errno != EINTR) break;
    if (ready <= 0) continue;
    char buf[4096];
    ssize_t n = read(out[0], buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    output.append(buf, static_cast<size_t>(n));
  }
  close(out[0]);
  if (timed_out) kill(-pid, SIGKILL);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  std::string command;
  for (const auto& a : argv_in) command += (command.empty() ? "" : " ") + a;
  if (timed_out) {
    throw std::runtime_error("command timed out after " + std::to_string(timeout.count()) +
                             " ms: " + command + "\n" + output);
  }
  if (ExitCodeOf(status) != 0) {
    throw std::runtime_error("command failed with exit code " +
                             std::to_string(ExitCodeOf(status)) + ": " + command + "\n" + output);
  }
  return output;
}

}  // namespace tenant::test
