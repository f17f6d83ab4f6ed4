#include "tests/support/local_cluster.hpp"

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <sstream>
#include <stdexcept>
#include <system_error>
#include <utility>

extern char** environ;

namespace tenant::test {
namespace {

// Owns one file descriptor.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() { Reset(); }
  Fd(Fd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  Fd& operator=(Fd&& other) noexcept {
    if (this != &other) {
      Reset();
      fd_ = std::exchange(other.fd_, -1);
    }
    return *this;
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  void Reset() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_ = -1;
};

struct Pipe {
  Fd read;
  Fd write;
};

Pipe MakePipe() {
  std::array<int, 2> fds{};
  if (::pipe2(fds.data(), O_CLOEXEC) != 0) throw std::system_error(errno, std::generic_category(), "pipe2");
  return Pipe{Fd(fds[0]), Fd(fds[1])};
}

// posix_spawn attributes and file actions, destroyed on every path.
struct SpawnSetup {
  posix_spawn_file_actions_t actions{};
  posix_spawnattr_t attr{};
  SpawnSetup() {
    posix_spawn_file_actions_init(&actions);
    posix_spawnattr_init(&attr);
  }
  ~SpawnSetup() {
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
  }
  SpawnSetup(const SpawnSetup&) = delete;
  SpawnSetup& operator=(const SpawnSetup&) = delete;
};

int ShellExitCode(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

std::string JoinArgs(const std::vector<std::string>& argv) {
  std::string joined;
  for (const auto& a : argv) {
    if (!joined.empty()) joined += ' ';
    joined += a;
  }
  return joined;
}

// write(2) to a pipe whose reader has exited raises SIGPIPE, which would kill the test
// process. Block it on this thread for the write and consume a pending one, so the caller
// just sees EPIPE.
ssize_t WriteWithoutSigpipe(int fd, const char* data, std::size_t size) {
  sigset_t pipe_only;
  sigemptyset(&pipe_only);
  sigaddset(&pipe_only, SIGPIPE);
  sigset_t old;
  pthread_sigmask(SIG_BLOCK, &pipe_only, &old);
  const ssize_t n = ::write(fd, data, size);
  const int saved_errno = errno;
  if (n < 0 && saved_errno == EPIPE) {
    const timespec zero{0, 0};
    sigtimedwait(&pipe_only, nullptr, &zero);
  }
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  errno = saved_errno;
  return n;
}

std::string ReadFileOrThrow(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot read " + path.string());
  return std::string(std::istreambuf_iterator<char>(in), {});
}

}  // namespace

std::filesystem::path ClusterScript() {
  return std::filesystem::path(TENANT_SOURCE_DIR) / "tests" / "cluster" / "cluster.sh";
}

CommandResult LocalCluster::Run(const std::vector<std::string>& argv, std::string_view stdin_data,
                                std::chrono::seconds timeout) {
  if (argv.empty()) throw std::invalid_argument("LocalCluster::Run: empty argv");
  Pipe in = MakePipe();
  Pipe out = MakePipe();
  Pipe err = MakePipe();

  SpawnSetup setup;
  posix_spawn_file_actions_adddup2(&setup.actions, in.read.get(), STDIN_FILENO);
  posix_spawn_file_actions_adddup2(&setup.actions, out.write.get(), STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&setup.actions, err.write.get(), STDERR_FILENO);
  // The test process may ignore or block signals (e.g. SIGPIPE); the child must not inherit that.
  sigset_t none;
  sigemptyset(&none);
  sigset_t all;
  sigfillset(&all);
  posix_spawnattr_setsigmask(&setup.attr, &none);
  posix_spawnattr_setsigdefault(&setup.attr, &all);
  posix_spawnattr_setflags(&setup.attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

  std::vector<char*> cargv;
  cargv.reserve(argv.size() + 1);
  for (const auto& a : argv) cargv.push_back(const_cast<char*>(a.c_str()));
  cargv.push_back(nullptr);

  pid_t pid = -1;
  const int rc = ::posix_spawnp(&pid, cargv[0], &setup.actions, &setup.attr, cargv.data(), environ);
  if (rc != 0) throw std::system_error(rc, std::generic_category(), "spawn " + argv[0]);
  in.read.Reset();
  out.write.Reset();
  err.write.Reset();
  if (stdin_data.empty()) in.write.Reset();
  if (in.write.get() >= 0) ::fcntl(in.write.get(), F_SETFL, O_NONBLOCK);

  CommandResult result;
  std::size_t written = 0;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  bool timed_out = false;
  while (out.read.get() >= 0 || err.read.get() >= 0) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      timed_out = true;
      break;
    }
    std::array<pollfd, 3> fds{{{out.read.get(), POLLIN, 0}, {err.read.get(), POLLIN, 0}, {in.write.get(), POLLOUT, 0}}};
    if (::poll(fds.data(), fds.size(), static_cast<int>(left.count())) < 0) {
      if (errno == EINTR) continue;
      throw std::system_error(errno, std::generic_category(), "poll");
    }
    std::array<char, 65536> buf{};
    auto drain = [&](pollfd& p, Fd& fd, std::string& sink) {
      if (fd.get() < 0 || (p.revents & (POLLIN | POLLHUP | POLLERR)) == 0) return;
      const ssize_t n = ::read(fd.get(), buf.data(), buf.size());
      if (n > 0) {
        sink.append(buf.data(), static_cast<std::size_t>(n));
      } else if (n == 0 || errno != EINTR) {
        fd.Reset();
      }
    };
    drain(fds[0], out.read, result.out);
    drain(fds[1], err.read, result.err);
    if (in.write.get() >= 0 && (fds[2].revents & (POLLOUT | POLLERR | POLLHUP)) != 0) {
      const ssize_t n = WriteWithoutSigpipe(in.write.get(), stdin_data.data() + written, stdin_data.size() - written);
      if (n > 0) written += static_cast<std::size_t>(n);
      if ((n < 0 && errno != EAGAIN && errno != EINTR) || written == stdin_data.size()) in.write.Reset();
    }
  }
  if (timed_out) ::kill(pid, SIGKILL);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) throw std::system_error(errno, std::generic_category(), "waitpid");
  }
  result.exit_code = ShellExitCode(status);
  if (timed_out) result.err += "\n[killed after " + std::to_string(timeout.count()) + "s timeout]";
  return result;
}

LocalCluster::LocalCluster(std::filesystem::path dir, bool is_private) : dir_(std::move(dir)), private_(is_private) {}

LocalCluster& LocalCluster::Shared() {
  // Constructed on first use; a failure throws again on every call so each test reports it.
  static std::unique_ptr<LocalCluster> shared;
  if (!shared) {
    const char* dir = std::getenv("TENANT_CLUSTER_DIR");
    if (dir == nullptr || *dir == '\0') {
      throw std::runtime_error(
          "TENANT_CLUSTER_DIR is not set: run e2e suites through ctest (fixture local_cluster), or start a "
          "cluster with tests/cluster/cluster.sh up DIR and export TENANT_CLUSTER_DIR=DIR");
    }
    auto cluster = std::unique_ptr<LocalCluster>(new LocalCluster(dir, false));
    cluster->LoadEnv();
    shared = std::move(cluster);
  }
  return *shared;
}

std::unique_ptr<LocalCluster> LocalCluster::StartPrivate(const PrivateOptions& options) {
  std::string pattern = (std::filesystem::temp_directory_path() / "tenant-cluster-XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) throw std::system_error(errno, std::generic_category(), "mkdtemp");
  // From here the destructor owns the directory (and any processes `up` started).
  auto cluster = std::unique_ptr<LocalCluster>(new LocalCluster(pattern, true));
  // Tells cluster.sh's guardian to delete the directory too if this process dies first.
  std::ofstream(cluster->dir_ / ".remove-with-owner").put('\n');
  std::vector<std::string> args{"up", cluster->dir_.string(), "--owner-pid", std::to_string(::getpid())};
  for (const auto& a : options.apiserver_args) {
    args.push_back("--apiserver-arg");
    args.push_back(a);
  }
  cluster->ClusterSh(args, std::chrono::seconds(600));
  cluster->LoadEnv();
  return cluster;
}

LocalCluster::~LocalCluster() {
  if (!private_) return;
  try {
    ClusterSh({"down", dir_.string()}, std::chrono::seconds(120));
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  } catch (...) {
    // Destructors must not throw; the guardian still stops the processes when we exit, and
    // the directory stays for inspection.
  }
}

void LocalCluster::LoadEnv() {
  const auto path = dir_ / "env";
  if (!std::filesystem::exists(path)) {
    throw std::runtime_error("no local cluster in " + dir_.string() +
                             " (missing env file: did the cluster_up fixture test fail?)");
  }
  std::istringstream lines(ReadFileOrThrow(path));
  std::string line;
  env_.clear();
  while (std::getline(lines, line)) {
    const auto eq = line.find('=');
    if (eq == std::string::npos || eq == 0) continue;
    env_[line.substr(0, eq)] = line.substr(eq + 1);
  }
}

std::string LocalCluster::Env(std::string_view key) const {
  const auto it = env_.find(key);
  if (it == env_.end()) throw std::runtime_error("local cluster env has no " + std::string(key));
  return it->second;
}

void LocalCluster::ClusterSh(const std::vector<std::string>& args, std::chrono::seconds timeout) const {
  std::vector<std::string> argv{"bash", ClusterScript().string()};
  argv.insert(argv.end(), args.begin(), args.end());
  const auto r = Run(argv, {}, timeout);
  if (!r.ok()) {
    throw std::runtime_error("cluster.sh " + JoinArgs(args) + " failed (exit " + std::to_string(r.exit_code) +
                             "):\n" + r.err + r.out);
  }
}

CommandResult LocalCluster::Kubectl(const std::vector<std::string>& args, std::string_view stdin_data,
                                    std::chrono::seconds timeout) const {
  std::vector<std::string> argv{kubectl_path().string(), "--kubeconfig", kubeconfig().string()};
  argv.insert(argv.end(), args.begin(), args.end());
  return Run(argv, stdin_data, timeout);
}

std::string LocalCluster::KubectlOrThrow(const std::vector<std::string>& args, std::string_view stdin_data,
                                         std::chrono::seconds timeout) const {
  auto r = Kubectl(args, stdin_data, timeout);
  if (!r.ok()) {
    throw std::runtime_error("kubectl " + JoinArgs(args) + " failed (exit " + std::to_string(r.exit_code) +
                             "): " + r.err);
  }
  return std::move(r.out);
}

void LocalCluster::Apply(std::string_view manifest) const { KubectlOrThrow({"apply", "-f", "-"}, manifest); }

std::filesystem::path LocalCluster::MintServiceAccountKubeconfig(std::string_view ns, std::string_view service_account,
                                                                 const std::filesystem::path& out,
                                                                 std::string_view duration) const {
  ClusterSh({"mint-kubeconfig", dir_.string(), std::string(ns), std::string(service_account), out.string(),
             std::string(duration)},
            std::chrono::seconds(60));
  return out;
}

void LocalCluster::RequirePrivate(std::string_view operation) const {
  if (!private_) {
    throw std::logic_error(std::string(operation) +
                           " on the shared cluster would disturb other tests; use LocalCluster::StartPrivate()");
  }
}

void LocalCluster::StopApiServer() {
  RequirePrivate("StopApiServer");
  ClusterSh({"stop-apiserver", dir_.string()}, std::chrono::seconds(60));
}
void LocalCluster::StartApiServer() {
  RequirePrivate("StartApiServer");
  ClusterSh({"start-apiserver", dir_.string()}, std::chrono::seconds(180));
}
void LocalCluster::RestartApiServer() {
  RequirePrivate("RestartApiServer");
  ClusterSh({"restart-apiserver", dir_.string()}, std::chrono::seconds(240));
}
void LocalCluster::StopEtcd() {
  RequirePrivate("StopEtcd");
  ClusterSh({"stop-etcd", dir_.string()}, std::chrono::seconds(60));
}
void LocalCluster::StartEtcd() {
  RequirePrivate("StartEtcd");
  ClusterSh({"start-etcd", dir_.string()}, std::chrono::seconds(120));
}
void LocalCluster::RestartEtcd() {
  RequirePrivate("RestartEtcd");
  ClusterSh({"restart-etcd", dir_.string()}, std::chrono::seconds(240));
}

std::int64_t LocalCluster::CompactEtcd() {
  RequirePrivate("CompactEtcd");
  const auto r = Run({"bash", ClusterScript().string(), "compact-etcd", dir_.string()}, {}, std::chrono::seconds(60));
  if (!r.ok()) throw std::runtime_error("cluster.sh compact-etcd failed: " + r.err);
  return std::stoll(r.out);
}

}  // namespace tenant::test
