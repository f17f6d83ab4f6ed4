#include "runtime/ratelimit/redis_pipeline.hpp"

#include <hiredis.h>

#include <array>
#include <atomic>
#include <deque>
#include <future>
#include <optional>
#include <thread>

#include <boost/asio/connect.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>

namespace tenant::api::ratelimit {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

void RedisReplyDeleter::operator()(redisReply* r) const noexcept { freeReplyObject(r); }

std::string FormatRedisCommand(const std::vector<std::string_view>& args) {
  // RESP array of bulk strings; the same bytes hiredis' redisFormatCommandArgv produces.
  std::string out = "*" + std::to_string(args.size()) + "\r\n";
  for (auto a : args) {
    out += "$";
    out += std::to_string(a.size());
    out += "\r\n";
    out.append(a.data(), a.size());
    out += "\r\n";
  }
  return out;
}

namespace {

struct ReaderDeleter {
  void operator()(redisReader* r) const noexcept { redisReaderFree(r); }
};
using ReaderPtr = std::unique_ptr<redisReader, ReaderDeleter>;

}  // namespace

struct RedisPipeline::Impl {
  struct Entry {
    RedisCallback callback;     // empty for the connection's own AUTH / SELECT
    Clock::time_point deadline;
    std::string setup_reason;   // for AUTH / SELECT: the failure reason when they fail
  };

  // Own thread: the context is ours, run by `thread`.
  Impl(config::RedisUrl u, std::chrono::milliseconds t)
      : url(std::move(u)), timeout(t), own(std::make_unique<asio::io_context>(1)), ioc(*own) {
    work.emplace(ioc.get_executor());
    MakeIo();
  }
  // Bound: the context is run by one thread of somebody else (a server I/O thread).
  Impl(config::RedisUrl u, std::chrono::milliseconds t, asio::io_context& context)
      : url(std::move(u)), timeout(t), ioc(context) {
    MakeIo();
  }

  void MakeIo() {
    socket.emplace(ioc);
    resolver.emplace(ioc);
    timer.emplace(ioc);
  }

  config::RedisUrl url;
  std::chrono::milliseconds timeout;
  std::unique_ptr<asio::io_context> own;  // null when bound to another context
  asio::io_context& ioc;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work;
  // The I/O objects live in optionals so that a bound pipeline can drop them in Stop(),
  // while the context it borrowed still exists (the server destroys it before the limiter).
  std::optional<tcp::socket> socket;
  std::optional<tcp::resolver> resolver;
  std::optional<asio::steady_timer> timer;
  std::thread thread;
  std::atomic<bool> stopping{false};

  // Everything below is touched only on the pipeline thread.
  enum class State { kIdle, kConnecting, kConnected } state = State::kIdle;
  std::string outbox;         // formatted commands not written yet
  std::deque<Entry> queued;   // their entries, in order
  std::string writing;        // the buffer of the write in flight
  std::deque<Entry> sent;     // written (or being written), awaiting replies in order
  bool write_in_progress = false;
  bool timer_armed = false;
  std::uint64_t generation = 0;  // bumped on every reset: handlers of an old socket return
  ReaderPtr reader;
  std::array<char, 16 * 1024> read_buffer{};

  void Enqueue(std::string command, RedisCallback callback) {
    if (stopping.load()) {
      callback(nullptr, "shutdown", "the rate limiter is shutting down");
      return;
    }
    outbox += command;
    queued.push_back(Entry{std::move(callback), Clock::now() + timeout, {}});
    if (state == State::kIdle) Connect();
    else if (state == State::kConnected) Flush();
    ArmTimer();
  }

  void Connect() {
    state = State::kConnecting;
    const std::uint64_t gen = ++generation;
    resolver->async_resolve(url.host, std::to_string(url.port),
                           [this, gen](boost::system::error_code ec, tcp::resolver::results_type results) {
                             if (gen != generation) return;
                             if (ec) return Reset("connection", "resolve " + url.host + ": " + ec.message());
                             asio::async_connect(*socket, results, [this, gen](boost::system::error_code cec, const tcp::endpoint&) {
                               if (gen != generation) return;
                               if (cec) return Reset("connection", "connect: " + cec.message());
                               OnConnected();
                             });
                           });
  }

  void OnConnected() {
    state = State::kConnected;
    boost::system::error_code ec;
    socket->set_option(tcp::no_delay(true), ec);
    reader.reset(redisReaderCreate());
    // AUTH and SELECT go first on the wire; their replies are checked, not reported.
    std::string setup;
    std::vector<Entry> setup_entries;
    const auto deadline = Clock::now() + timeout;
    if (!url.password.empty()) {
      setup += url.username.empty() ? FormatRedisCommand({"AUTH", url.password})
                                    : FormatRedisCommand({"AUTH", url.username, url.password});
      setup_entries.push_back(Entry{nullptr, deadline, "auth"});
    }
    if (url.db != 0) {
      setup += FormatRedisCommand({"SELECT", std::to_string(url.db)});
      setup_entries.push_back(Entry{nullptr, deadline, "error"});
    }
    outbox.insert(0, setup);
    for (auto it = setup_entries.rbegin(); it != setup_entries.rend(); ++it) queued.push_front(std::move(*it));
    Read(generation);
    Flush();
  }

  void Flush() {
    if (write_in_progress || outbox.empty() || state != State::kConnected) return;
    writing.swap(outbox);
    outbox.clear();
    for (auto& e : queued) sent.push_back(std::move(e));
    queued.clear();
    write_in_progress = true;
    const std::uint64_t gen = generation;
    asio::async_write(*socket, asio::buffer(writing), [this, gen](boost::system::error_code ec, std::size_t) {
      if (gen != generation) return;  // the connection was reset meanwhile
      write_in_progress = false;
      if (ec) return Reset("connection", "write: " + ec.message());
      Flush();
    });
  }

  void Read(std::uint64_t gen) {
    socket->async_read_some(asio::buffer(read_buffer), [this, gen](boost::system::error_code ec, std::size_t n) {
      if (gen != generation) return;
      if (ec) {
        return Reset("connection", ec == asio::error::eof ? "connection closed by Redis" : "read: " + ec.message());
      }
      if (redisReaderFeed(reader.get(), read_buffer.data(), n) != REDIS_OK) {
        return Reset("connection", "protocol error");
      }
      for (;;) {
        void* raw = nullptr;
        if (redisReaderGetReply(reader.get(), &raw) != REDIS_OK) return Reset("connection", "protocol error");
        if (raw == nullptr) break;
        RedisReplyPtr reply(static_cast<redisReply*>(raw));
        if (sent.empty()) return Reset("connection", "reply without a command");
        Entry e = std::move(sent.front());
        sent.pop_front();
        if (!e.callback) {
          if (reply->type == REDIS_REPLY_ERROR) {
            // Never echo AUTH's reply details: they may quote the command.
            return Reset(e.setup_reason, e.setup_reason == "auth" ? "authentication failed" : "SELECT failed");
          }
          continue;
        }
        e.callback(std::move(reply), {}, {});
      }
      Read(gen);
    });
  }

  void ArmTimer() {
    if (timer_armed) return;
    const Entry* first = !sent.empty() ? &sent.front() : !queued.empty() ? &queued.front() : nullptr;
    if (first == nullptr) return;
    timer_armed = true;
    timer->expires_at(first->deadline);
    timer->async_wait([this](boost::system::error_code ec) {
      timer_armed = false;
      if (ec || stopping.load()) return;
      const auto now = Clock::now();
      const bool overdue = (!sent.empty() && sent.front().deadline <= now) ||
                           (!queued.empty() && queued.front().deadline <= now);
      if (overdue) {
        return Reset("timeout", "no reply from Redis within " + std::to_string(timeout.count()) + " ms");
      }
      ArmTimer();
    });
  }

  // Drops the connection and fails every outstanding command: after a timeout the replies
  // still on their way could no longer be matched to commands.
  void Reset(const std::string& reason, const std::string& detail) {
    ++generation;
    state = State::kIdle;
    write_in_progress = false;
    boost::system::error_code ec;
    socket->close(ec);
    resolver->cancel();
    outbox.clear();
    writing.clear();
    std::deque<Entry> failed;
    failed.swap(sent);
    for (auto& e : queued) failed.push_back(std::move(e));
    queued.clear();
    for (auto& e : failed) {
      if (e.callback) e.callback(nullptr, reason, detail);
    }
  }
};

RedisPipeline::RedisPipeline(config::RedisUrl url, std::chrono::milliseconds timeout)
    : impl_(std::make_shared<Impl>(std::move(url), timeout)) {
  impl_->thread = std::thread([impl = impl_.get()] { impl->ioc.run(); });
}

RedisPipeline::RedisPipeline(config::RedisUrl url, std::chrono::milliseconds timeout, asio::io_context& context)
    : impl_(std::make_shared<Impl>(std::move(url), timeout, context)) {}

RedisPipeline::~RedisPipeline() { Stop(); }

bool RedisPipeline::RunsInThisThread() const { return impl_->ioc.get_executor().running_in_this_thread(); }

void RedisPipeline::Stop() {
  Impl* impl = impl_.get();
  if (impl->stopping.exchange(true)) return;
  auto finish = [impl] {
    impl->Reset("shutdown", "the rate limiter is shutting down");
    impl->timer->cancel();
  };
  if (impl->own) {
    asio::post(impl->ioc, [impl, finish] {
      finish();
      impl->work.reset();
      impl->ioc.stop();
    });
    if (impl->thread.joinable()) impl->thread.join();
    return;
  }
  if (impl->ioc.stopped() || RunsInThisThread()) {
    // Nobody else runs the context: finish here, and drop the I/O objects while the
    // borrowed context still exists. Handlers still queued in it are never run (the
    // context does not run again) and touch nothing when destroyed.
    finish();
    impl->timer.reset();
    impl->resolver.reset();
    impl->socket.reset();
    return;
  }
  // Still served by its thread: finish there and wait (the I/O objects stay until the
  // pipeline is destroyed, which must then happen after that thread stopped).
  std::promise<void> done;
  asio::post(impl->ioc, [finish, &done] {
    finish();
    done.set_value();
  });
  done.get_future().wait();
}

void RedisPipeline::Send(std::string command, RedisCallback callback) {
  Impl* impl = impl_.get();
  if (impl->stopping.load()) {
    callback(nullptr, "shutdown", "the rate limiter is shutting down");
    return;
  }
  if (RunsInThisThread()) {
    // Already on the pipeline's thread (a bound pipeline asked by its I/O thread): no hop.
    impl->Enqueue(std::move(command), std::move(callback));
    return;
  }
  asio::post(impl->ioc, [impl, command = std::move(command), callback = std::move(callback)]() mutable {
    impl->Enqueue(std::move(command), std::move(callback));
  });
}

}  // namespace tenant::api::ratelimit
