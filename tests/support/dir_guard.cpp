#include "tests/support/dir_guard.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <ctime>
#include <string>
#include <system_error>

namespace tenant::test {
namespace {

// ---- Runs in forked children of a possibly multi-threaded process: async-signal-safe only.

void RemoveTree(const char* dir) {
  pid_t rm = fork();
  if (rm == 0) {
    const char* argv[] = {"rm", "-rf", "--", dir, nullptr};
    execv("/bin/rm", const_cast<char**>(argv));
    _exit(127);
  }
  if (rm > 0) {
    while (waitpid(rm, nullptr, 0) < 0 && errno == EINTR) {
    }
  }
}

[[noreturn]] void Guard(int release_fd, const char* dir) {
  setsid();  // own session and group: signals to the test's group or session miss it
  if (fork() != 0) _exit(0);  // the middle process exits at once; init adopts the guard
  sigset_t none;
  sigemptyset(&none);
  for (int sig = 1; sig < NSIG; ++sig) signal(sig, SIG_DFL);
  signal(SIGINT, SIG_IGN);
  signal(SIGHUP, SIG_IGN);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  int devnull = open("/dev/null", O_RDWR);
  if (devnull >= 0) {
    dup2(devnull, STDIN_FILENO);
    dup2(devnull, STDOUT_FILENO);
    dup2(devnull, STDERR_FILENO);
  }
  if (release_fd > 3) close_range(3, static_cast<unsigned>(release_fd) - 1, 0);
  close_range(static_cast<unsigned>(release_fd) + 1, ~0U, 0);

  char byte = 0;
  ssize_t n;
  while ((n = read(release_fd, &byte, 1)) < 0 && errno == EINTR) {
  }
  if (n == 1) _exit(0);  // released by the owner
  RemoveTree(dir);
  timespec wait{3, 0};
  while (nanosleep(&wait, &wait) != 0 && errno == EINTR) {
  }
  RemoveTree(dir);
  _exit(0);
}

// ---- end of fork-safe code

}  // namespace

DirectoryGuard::DirectoryGuard(const std::filesystem::path& dir) {
  const std::string path = dir.string();
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) {
    throw std::system_error(errno, std::generic_category(), "DirectoryGuard: pipe");
  }
  // Block everything around fork() so the copy never runs this process's signal handlers.
  sigset_t all, previous;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &previous);
  pid_t middle = fork();
  if (middle == 0) {
    close(fds[1]);
    Guard(fds[0], path.c_str());
  }
  int err = errno;
  pthread_sigmask(SIG_SETMASK, &previous, nullptr);
  close(fds[0]);
  if (middle < 0) {
    close(fds[1]);
    throw std::system_error(err, std::generic_category(), "DirectoryGuard: fork");
  }
  while (waitpid(middle, nullptr, 0) < 0 && errno == EINTR) {
  }
  release_fd_ = fds[1];
  owner_ = getpid();
}

DirectoryGuard::~DirectoryGuard() {
  if (getpid() == owner_) {
    const char release = 'r';
    while (write(release_fd_, &release, 1) < 0 && errno == EINTR) {
    }
  }
  close(release_fd_);
}

}  // namespace tenant::test
