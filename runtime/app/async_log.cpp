#include "runtime/app/async_log.hpp"

#include <unistd.h>

#include <algorithm>
#include <cerrno>

namespace tenant::api::app {

AsyncLogWriter::AsyncLogWriter(int fd, std::size_t max_pending_bytes, std::chrono::milliseconds linger)
    : fd_(fd),
      max_pending_(max_pending_bytes),
      wake_bytes_(std::min<std::size_t>(64 * 1024, std::max<std::size_t>(1, max_pending_bytes / 2))),
      linger_(linger),
      writer_([this] { Run(); }) {}

AsyncLogWriter::~AsyncLogWriter() {
  stream_.flush();
  {
    std::lock_guard lk(mu_);
    stopping_ = true;
  }
  wake_writer_.notify_one();
  writer_.join();
}

AsyncLogWriter::Buffer::int_type AsyncLogWriter::Buffer::overflow(int_type c) {
  if (!traits_type::eq_int_type(c, traits_type::eof())) line_.push_back(traits_type::to_char_type(c));
  return traits_type::not_eof(c);
}

std::streamsize AsyncLogWriter::Buffer::xsputn(const char* s, std::streamsize n) {
  line_.append(s, static_cast<std::size_t>(n));
  return n;
}

int AsyncLogWriter::Buffer::sync() {
  if (!line_.empty()) owner_.Enqueue(line_);
  return 0;
}

bool AsyncLogWriter::UrgentLocked() const {
  return stopping_ || draining_ > 0 || waiting_for_room_ > 0 || pending_.size() >= wake_bytes_;
}

void AsyncLogWriter::Enqueue(std::string& text) {
  bool wake = false;
  {
    std::unique_lock lk(mu_);
    // Never wait on an empty queue: a single line larger than the limit still goes through.
    auto has_room = [&] { return pending_.empty() || pending_.size() + text.size() <= max_pending_ || stopping_; };
    if (!has_room()) {
      ++waiting_for_room_;
      wake_writer_.notify_one();  // a lingering writer writes now
      room_.wait(lk, has_room);
      --waiting_for_room_;
    }
    const bool was_empty = pending_.empty();
    const bool was_small = pending_.size() < wake_bytes_;
    pending_ += text;
    if (was_empty) ++queued_batches_;
    text.clear();
    // Signal only a writer asleep without a deadline, or a lingering one whose batch just
    // became large; otherwise the writer picks the line up when its linger ends.
    wake = writer_idle_ || (was_small && pending_.size() >= wake_bytes_);
    if (writer_idle_) writer_idle_ = false;
  }
  if (wake) wake_writer_.notify_one();
}

void AsyncLogWriter::Drain() {
  stream_.flush();
  std::unique_lock lk(mu_);
  const std::size_t target = queued_batches_;
  if (written_batches_ >= target) return;
  ++draining_;
  wake_writer_.notify_one();  // no lingering: the caller waits
  room_.wait(lk, [&] { return written_batches_ >= target; });
  --draining_;
}

void AsyncLogWriter::Run() {
  std::string batch;
  for (;;) {
    {
      std::unique_lock lk(mu_);
      while (pending_.empty() && !stopping_) {
        writer_idle_ = true;
        wake_writer_.wait(lk);
      }
      writer_idle_ = false;
      if (pending_.empty()) return;  // stopping and everything written
      // Collect the lines of the next `linger` into the same write(2) (see the header).
      if (!UrgentLocked()) wake_writer_.wait_for(lk, linger_, [&] { return UrgentLocked(); });
      batch.swap(pending_);
    }
    std::size_t off = 0;
    while (off < batch.size()) {
      const ssize_t n = ::write(fd_, batch.data() + off, batch.size() - off);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;  // stderr closed or broken: nothing sensible left to do with the lines
      off += static_cast<std::size_t>(n);
    }
    batch.clear();
    {
      std::lock_guard lk(mu_);
      ++written_batches_;
    }
    room_.notify_all();
  }
}

}  // namespace tenant::api::app
