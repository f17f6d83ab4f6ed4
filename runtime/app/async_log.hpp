#pragma once
// An std::ostream for log::ConfigureForStream whose lines are written to a file descriptor
// by a background thread. The serving threads then never make the write(2) system call
// themselves: under load a request thread that was preempted inside the synchronous
// sink's write held the logger's mutex, and every other request thread queued behind it.
// The writer sends everything that accumulated since its last write in one call.
//
// Wake-ups: a condition-variable signal per line cost a futex call on the logging thread
// and a context switch into the writer for nearly every request (the writer drains faster
// than lines arrive, so the queue was almost always empty again). Now only the first line
// after the writer went to sleep wakes it; the writer then lingers `linger` collecting
// more lines before it writes, and is woken early only when the batch grows large, a
// logging thread waits for room, Drain() is called, or the writer is being destroyed.
// A line reaches the file descriptor at most about `linger` after it was logged.
//
// Ordering is kept (one queue). When `max_pending_bytes` are waiting (stderr blocked), the
// logging thread waits for room rather than dropping lines. Lines still queued when the
// process dies abruptly (SIGKILL, abort) are lost; the destructor writes everything queued.
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <mutex>
#include <ostream>
#include <streambuf>
#include <string>
#include <thread>

namespace tenant::api::app {

class AsyncLogWriter {
 public:
  explicit AsyncLogWriter(int fd, std::size_t max_pending_bytes = 4 * 1024 * 1024,
                          std::chrono::milliseconds linger = std::chrono::milliseconds(2));
  ~AsyncLogWriter();  // writes what is queued, then joins the writer thread
  AsyncLogWriter(const AsyncLogWriter&) = delete;
  AsyncLogWriter& operator=(const AsyncLogWriter&) = delete;

  // Text written here is queued when the stream is flushed (spdlog's ostream sink flushes
  // after every line). Not thread-safe by itself: the spdlog `_mt` sink serializes writers.
  std::ostream& stream() { return stream_; }

  // Blocks until everything queued so far has been written (tests, shutdown).
  void Drain();

 private:
  class Buffer : public std::streambuf {
   public:
    explicit Buffer(AsyncLogWriter& owner) : owner_(owner) {}

   protected:
    int_type overflow(int_type c) override;
    std::streamsize xsputn(const char* s, std::streamsize n) override;
    int sync() override;

   private:
    AsyncLogWriter& owner_;
    std::string line_;
  };

  void Enqueue(std::string& text);
  void Run();

  // True when the writer should stop lingering and write now (under mu_).
  bool UrgentLocked() const;

  int fd_;
  std::size_t max_pending_;
  std::size_t wake_bytes_;  // a batch this large is written without waiting for `linger`
  std::chrono::milliseconds linger_;
  std::mutex mu_;
  std::condition_variable wake_writer_;
  std::condition_variable room_;  // signalled after each write (room, Drain)
  std::string pending_;
  std::size_t written_batches_ = 0;
  std::size_t queued_batches_ = 0;
  bool writer_idle_ = false;     // the writer waits for a first line (no deadline)
  int waiting_for_room_ = 0;     // logging threads blocked on a full queue
  int draining_ = 0;             // threads inside Drain()
  bool stopping_ = false;
  Buffer buffer_{*this};
  std::ostream stream_{&buffer_};
  std::thread writer_;
};

}  // namespace tenant::api::app
