// The background log writer of `serve`: every line arrives, whole and in order, also when
// many threads log at once and when the queue limit makes writers wait for room.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdio>
#include <map>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "common/log/log.hpp"
#include "runtime/app/async_log.hpp"

using tenant::api::app::AsyncLogWriter;

namespace {

// A temporary file the writer writes to; read back after the writer is gone.
struct TempFile {
  TempFile() {
    char name[] = "/tmp/async-log-test-XXXXXX";
    fd = ::mkstemp(name);
    REQUIRE(fd >= 0);
    path = name;
  }
  ~TempFile() {
    ::close(fd);
    ::unlink(path.c_str());
  }
  std::string Read() const {
    std::string out;
    char buf[65536];
    for (off_t off = 0;;) {
      const ssize_t n = ::pread(fd, buf, sizeof buf, off);
      if (n <= 0) break;
      out.append(buf, static_cast<std::size_t>(n));
      off += n;
    }
    return out;
  }
  int fd = -1;
  std::string path;
};

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

}  // namespace

TEST_CASE("async log: lines written through spdlog arrive whole and in order per thread", "[app][log]") {
  TempFile file;
  constexpr int kThreads = 4;
  constexpr int kLines = 500;
  {
    // A small limit so that writers regularly wait for the background thread.
    AsyncLogWriter writer(file.fd, 4096);
    tenant::log::ConfigureForStream("async-test", tenant::log::Level::kInfo, writer.stream());
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([t] {
        for (int i = 0; i < kLines; ++i) tenant::log::Info("Line", {{"thread", t}, {"seq", i}});
      });
    }
    for (auto& th : threads) th.join();
    writer.Drain();
    CHECK(Lines(file.Read()).size() == static_cast<std::size_t>(kThreads * kLines));
    tenant::log::Configure("async-test", "info");  // stderr again before the writer goes
  }
  std::map<int, int> next;
  for (const auto& line : Lines(file.Read())) {
    auto j = nlohmann::json::parse(line);  // whole JSON lines, never interleaved
    const int t = j.at("thread").get<int>();
    CHECK(j.at("seq").get<int>() == next[t]);
    ++next[t];
  }
  for (int t = 0; t < kThreads; ++t) CHECK(next[t] == kLines);
}

TEST_CASE("async log: the destructor writes what is still queued", "[app][log]") {
  TempFile file;
  {
    AsyncLogWriter writer(file.fd);
    writer.stream() << "first\n" << std::flush;
    writer.stream() << "second\n";  // not flushed yet: the destructor flushes it
  }
  CHECK(file.Read() == "first\nsecond\n");
}

TEST_CASE("async log: a line larger than the queue limit still goes through", "[app][log]") {
  TempFile file;
  const std::string big(10000, 'x');
  {
    AsyncLogWriter writer(file.fd, 100);
    writer.stream() << big << '\n' << std::flush;
    writer.stream() << "after\n" << std::flush;
    writer.Drain();
  }
  CHECK(file.Read() == big + "\nafter\n");
}

TEST_CASE("async log: a lingering writer is woken by Drain, a full queue and the destructor", "[app][log]") {
  // An hour of linger: every line below only arrives because one of those wakes the writer
  // (the test would hang otherwise), never because the linger ran out.
  TempFile file;
  constexpr int kThreads = 3;
  constexpr int kLines = 300;
  {
    AsyncLogWriter writer(file.fd, 2048, std::chrono::hours(1));
    std::vector<std::thread> threads;
    std::mutex mu;  // the spdlog _mt sink serializes writers; do the same here
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        for (int i = 0; i < kLines; ++i) {
          std::lock_guard lk(mu);
          writer.stream() << "t" << t << " " << i << "\n" << std::flush;  // fills the queue
        }
      });
    }
    for (auto& th : threads) th.join();
    writer.Drain();
    CHECK(Lines(file.Read()).size() == static_cast<std::size_t>(kThreads * kLines));
    writer.stream() << "last\n" << std::flush;  // queued; only the destructor writes it
  }
  auto lines = Lines(file.Read());
  REQUIRE(lines.size() == static_cast<std::size_t>(kThreads * kLines + 1));
  CHECK(lines.back() == "last");
}
