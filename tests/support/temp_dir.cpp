#include "tests/support/temp_dir.hpp"

#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <string>
#include <system_error>
#include <vector>

namespace tenant::test {
namespace {

constexpr std::string_view kPrefix = "tenant-test-";

std::filesystem::path TempRoot() {
  const char* tmp = std::getenv("TMPDIR");
  return (tmp != nullptr && *tmp != '\0') ? std::filesystem::path(tmp) : "/tmp";
}

}  // namespace

TempDir::TempDir(std::string_view prefix) {
  RemoveStaleTempDirs();
  std::string pattern = (TempRoot() / (std::string(kPrefix) + std::string(prefix) + "-XXXXXX"));
  std::vector<char> buf(pattern.begin(), pattern.end());
  buf.push_back('\0');
  if (mkdtemp(buf.data()) == nullptr) {
    throw std::system_error(errno, std::generic_category(), "mkdtemp " + pattern);
  }
  path_ = buf.data();
  owner_ = getpid();
  std::ofstream(path_ / "owner.pid") << getpid() << '\n';
}

TempDir::~TempDir() {
  if (path_.empty() || owner_ != getpid()) return;
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);  // best effort: never throw from a destructor
}

void TempDir::Release() {
  std::error_code ec;
  std::filesystem::remove(path_ / "owner.pid", ec);
  owner_ = 0;
}

TempDir::TempDir(TempDir&& other) noexcept
    : path_(std::move(other.path_)), owner_(other.owner_) {
  other.path_.clear();
  other.owner_ = 0;
}

TempDir& TempDir::operator=(TempDir&& other) noexcept {
  if (this != &other) {
    TempDir old(std::move(*this));  // removes our current directory
    path_ = std::move(other.path_);
    owner_ = other.owner_;
    other.path_.clear();
    other.owner_ = 0;
  }
  return *this;
}

void RemoveStaleTempDirs() {
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(TempRoot(), ec)) {
    const auto name = entry.path().filename().string();
    if (name.rfind(kPrefix, 0) != 0 || !entry.is_directory(ec)) continue;
    std::ifstream owner(entry.path() / "owner.pid");
    long pid = 0;
    if (!(owner >> pid) || pid <= 0) continue;  // being created right now, or not ours
    if (kill(static_cast<pid_t>(pid), 0) == 0 || errno != ESRCH) continue;  // owner alive
    std::filesystem::remove_all(entry.path(), ec);
  }
}

}  // namespace tenant::test
