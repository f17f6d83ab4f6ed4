#include "tests/support/free_port.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <random>
#include <system_error>

namespace tenant::test {
namespace {

// Ports below the kernel's ephemeral range, so that a port a test keeps across Stop()/
// Start() cannot be taken in between as the local port of some outgoing connection.
struct Range {
  int lo;
  int hi;
};

Range CandidateRange() {
  int ephemeral_lo = 32768;
  std::ifstream in("/proc/sys/net/ipv4/ip_local_port_range");
  int lo = 0, hi = 0;
  if (in >> lo >> hi && lo > 0) ephemeral_lo = lo;
  if (ephemeral_lo > 16000) return {15000, ephemeral_lo - 1};
  return {ephemeral_lo, 65535};  // unusual config: no room below, just probe
}

// Binds 127.0.0.1:port (0 = any); returns the bound port or -1.
int TryBind(int port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw std::system_error(errno, std::generic_category(), "socket");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  int result = -1;
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
    socklen_t len = sizeof addr;
    if (getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) result = ntohs(addr.sin_port);
  }
  close(fd);
  return result;
}

}  // namespace

int FreeLoopbackPort() {
  static thread_local std::mt19937 rng{std::random_device{}()};
  Range range = CandidateRange();
  std::uniform_int_distribution<int> pick(range.lo, range.hi);
  for (int attempt = 0; attempt < 200; ++attempt) {
    if (int port = TryBind(pick(rng)); port > 0) return port;
  }
  if (int port = TryBind(0); port > 0) return port;
  throw std::runtime_error("FreeLoopbackPort: no free port on 127.0.0.1");
}

}  // namespace tenant::test
