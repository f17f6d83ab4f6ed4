#pragma once
// Removes a service directory if the test process dies without doing it itself.
//
// A detached process (its own session, re-parented to init) waits on a pipe whose write
// end only the test process holds. Destroying the guard releases it (the owner cleans up
// normally); EOF without release means the owner died, and the guard deletes the
// directory — twice, a few seconds apart, so files written by a server that was still
// shutting down go too. It is detached because test runners kill the whole process tree of
// a test on timeout (CTest does), which would take a child-process guard along.
#include <filesystem>
#include <sys/types.h>

namespace tenant::test {

class DirectoryGuard {
 public:
  explicit DirectoryGuard(const std::filesystem::path& dir);  // throws std::system_error
  ~DirectoryGuard();  // releases the guard: the directory stays for the owner to remove
  DirectoryGuard(const DirectoryGuard&) = delete;
  DirectoryGuard& operator=(const DirectoryGuard&) = delete;

 private:
  int release_fd_ = -1;
  pid_t owner_ = -1;  // a fork()ed copy of the owner must not release the guard
};

}  // namespace tenant::test
