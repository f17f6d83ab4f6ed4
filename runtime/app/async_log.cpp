#include "runtime/app/async_log.hpp"

#include <unistd.h>

#include <cerrno>

namespace tenant::api::app {

AsyncLogWriter::AsyncLogWriter(int fd, std::size_t max_pending_bytes)
    : fd_(fd), max_pending_(max_pending_bytes), writer_([this] { Run(); }) {}

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

void AsyncLogWriter::Enqueue(std::string& text) {
  {
    std::unique_lock lk(mu_);
    // Never wait on an empty queue: a single line larger than the limit still goes through.
    room_.wait(lk, [&] { return pending_.empty() || pending_.size() + text.size() <= max_pending_ || stopping_; });
    const bool was_empty = pending_.empty();
    pending_ += text;
    if (was_empty) ++queued_batches_;
    text.clear();
    if (!was_empty) return;  // the writer has been woken for this batch already
  }
  wake_writer_.notify_one();
}

void AsyncLogWriter::Drain() {
  stream_.flush();
  std::unique_lock lk(mu_);
  const std::size_t target = queued_batches_;
  room_.wait(lk, [&] { return written_batches_ >= target; });
}

void AsyncLogWriter::Run() {
  std::string batch;
  for (;;) {
    {
      std::unique_lock lk(mu_);
      wake_writer_.wait(lk, [&] { return !pending_.empty() || stopping_; });
      if (pending_.empty()) return;  // stopping and everything written
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
