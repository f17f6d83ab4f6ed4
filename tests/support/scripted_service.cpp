#include "tests/support/scripted_service.hpp"

#include <optional>
#include <stdexcept>

#include "tests/support/child_process.hpp"
#include "tests/support/free_port.hpp"
#include "tests/support/service_files.hpp"
#include "tests/support/service_start.hpp"
#include "tests/support/temp_dir.hpp"

namespace tenant::test {

struct ScriptedService::State {
  // Declared before `child` so the server is stopped before its directory is removed.
  std::optional<TempDir> dir;
  std::unique_ptr<DirectoryGuard> dir_guard;  // removes `dir` if we die while no server runs
  std::unique_ptr<ChildProcess> child;
};

ScriptedService::ScriptedService(ServiceDefinition definition)
    : def_(std::move(definition)), state_(std::make_unique<State>()) {
  if (!def_.pick_port) def_.pick_port = FreeLoopbackPort;
}

ScriptedService::~ScriptedService() = default;

void ScriptedService::EnsureStarted() {
  std::lock_guard lock(mutex_);
  if (state_->dir) return;
  if (!failure_.empty()) throw std::runtime_error(failure_);

  const auto t0 = std::chrono::steady_clock::now();
  for (int attempt = 1;; ++attempt) {
    try {
      SetUp();
      const auto t1 = std::chrono::steady_clock::now();
      Start();
      ReportStarted(def_.description, port_, t0, t1, dir());
      return;
    } catch (const PortInUseError& e) {
      TearDown();
      if (attempt < kSetupAttempts) continue;
      failure_ = def_.name + " could not get a free port after " + std::to_string(kSetupAttempts) +
                 " attempts: " + e.what();
    } catch (const std::exception& e) {
      TearDown();
      failure_ = def_.name + " test server could not start: " + e.what();
    }
    throw std::runtime_error(failure_);
  }
}

void ScriptedService::SetUp() {
  State& s = *state_;
  s.dir.emplace(def_.dir_prefix);
  if (KeepServiceDirs()) s.dir->Release();
  s.dir_guard = GuardDirectory(s.dir->path());
  port_ = def_.pick_port();
  RunCommand({"bash", def_.script.string(), "init", s.dir->path().string(), std::to_string(port_)});
  def_.configure(s.dir->path() / "env");
}

void ScriptedService::TearDown() {
  state_->child.reset();
  state_->dir_guard.reset();
  state_->dir.reset();
}

void ScriptedService::Stop() {
  if (state_->child) state_->child->Stop();
  state_->child.reset();
}

void ScriptedService::Start() {
  if (running()) return;
  state_->child.reset();
  ChildOptions options;
  options.argv = {"bash", def_.script.string(), "run", dir().string()};
  options.log_file = log();
  options.stop_signal = def_.stop_signal;
  options.stop_grace = def_.stop_grace;
  if (!KeepServiceDirs()) options.remove_on_orphan = dir();
  state_->child = std::make_unique<ChildProcess>(options);
  WaitUntilReady(*state_->child, def_.ready, def_.name, log(), def_.start_timeout);
}

bool ScriptedService::running() const { return state_->child && state_->child->Running(); }

std::filesystem::path ScriptedService::dir() const { return state_->dir ? state_->dir->path() : std::filesystem::path(); }

std::filesystem::path ScriptedService::log() const { return dir() / "server.log"; }

std::string ScriptedService::LogTail(std::size_t lines) const { return state_->dir ? TailFile(log(), lines) : ""; }

}  // namespace tenant::test
