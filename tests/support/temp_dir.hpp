#pragma once
#include <filesystem>
#include <string_view>
#include <sys/types.h>

namespace tenant::test {

// A fresh directory under $TMPDIR (or /tmp) named tenant-test-<prefix>-XXXXXX, removed
// recursively by the destructor. It records the owning process id in `owner.pid`, so the
// next run removes directories whose owner died without cleaning up (crash, SIGKILL).
class TempDir {
 public:
  explicit TempDir(std::string_view prefix);
  ~TempDir();
  TempDir(TempDir&& other) noexcept;
  TempDir& operator=(TempDir&& other) noexcept;
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  // Keeps the directory on disk after destruction (for debugging a failure); path() stays.
  // Also drops the owner record, so RemoveStaleTempDirs() leaves it alone later.
  void Release();

 private:
  std::filesystem::path path_;
  pid_t owner_ = 0;  // only the creating process removes it, not a fork()ed copy
};

// Removes tenant-test-* directories left by processes that no longer exist.
void RemoveStaleTempDirs();

}  // namespace tenant::test
