#include "runtime/server/http_server.hpp"

#include <boost/asio/bind_executor.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/version.hpp>

#include <array>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "common/log/log.hpp"
#include "runtime/server/http_error.hpp"
#include "runtime/server/response_head.hpp"

namespace tenant::api::server {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

Request ToRequest(const http::request_header<>& h, std::string body, const std::string& client_ip) {
  Request r;
  r.method = std::string(h.method_string());
  r.target = std::string(h.target());
  std::string_view target(h.target().data(), h.target().size());
  auto qm = target.find('?');
  std::string_view raw_path = target.substr(0, qm);
  auto decoded = PercentDecode(raw_path, false);
  r.path = decoded ? *decoded : std::string(raw_path);
  if (qm != std::string_view::npos) r.query = ParseQuery(target.substr(qm + 1));
  r.headers.reserve(16);
  for (const auto& f : h) {
    std::string name(f.name_string());
    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    r.headers.emplace_back(std::move(name), std::string(f.value()));
  }
  r.body = std::move(body);
  r.client_ip = client_ip;
  return r;
}

}  // namespace

// One io_context per I/O thread (concurrency hint 1), each connection pinned to one of them
// round robin. A request's steps (parse, auth, the Redis check when the limiter is bound
// to these contexts, the async database read, the reply) then continue on the thread that
// started them: handing work to yourself goes through a thread-local queue, whereas one
// context shared by several threads woke another thread (futex) or the reactor
// (epoll_ctl on its interrupter) for nearly every post, and moved requests between cores.
struct HttpServer::Impl {
  using WorkGuard = asio::executor_work_guard<asio::io_context::executor_type>;

  ServerOptions options;
  const Pipeline& pipeline;
  std::vector<std::unique_ptr<asio::io_context>> iocs;
  std::vector<WorkGuard> work;  // keeps run() going while a context has nothing to do
  std::unique_ptr<asio::thread_pool> workers;
  std::unique_ptr<tcp::acceptor> acceptor;
  std::vector<std::thread> io_threads;
  std::size_t next_ioc = 0;  // touched only by the accept handler
  std::atomic<bool> draining{false};
  std::atomic<bool> stopped{false};
  std::atomic<std::int64_t> in_flight{0};
  int bound_port = 0;

  Impl(ServerOptions o, const Pipeline& p) : options(std::move(o)), pipeline(p) {
    const int n = std::max(1, options.io_threads);
    for (int i = 0; i < n; ++i) {
      iocs.push_back(std::make_unique<asio::io_context>(1));
      work.emplace_back(iocs.back()->get_executor());
    }
    acceptor = std::make_unique<tcp::acceptor>(*iocs.front());
  }

  void Accept();
};

namespace {

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, HttpServer::Impl& server)
      : stream_(std::move(socket)), server_(server) {
    beast::error_code ec;
    auto ep = stream_.socket().remote_endpoint(ec);
    client_ip_ = ec ? "unknown" : ep.address().to_string();
    stream_.socket().set_option(tcp::no_delay(true), ec);
  }

  void Run() {
    asio::dispatch(stream_.get_executor(), beast::bind_front_handler(&Session::ReadHeader, shared_from_this()));
  }

 private:
  struct Pending {
    explicit Pending(asio::any_io_executor ex) : timer(ex) {}
    std::atomic<bool> done{false};
    asio::steady_timer timer;
  };

  void ReadHeader() {
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(server_.options.header_limit));
    parser_->body_limit(server_.options.body_limit);
    stream_.expires_after(server_.options.header_timeout);
    http::async_read_header(stream_, buffer_, *parser_,
                            beast::bind_front_handler(&Session::OnHeader, shared_from_this()));
  }

  void OnHeader(beast::error_code ec, std::size_t) {
    if (ec == http::error::header_limit) {
      return RejectAndClose(HttpError(431, "header_too_large", "Request header fields too large",
                                      "The request header exceeds " + std::to_string(server_.options.header_limit) + " bytes"),
                            false);
    }
    if (ec == http::error::body_limit) return RejectTooLarge();
    if (ec) return Close();
    auto& header = parser_->get();
    if (auto cl = parser_->content_length(); cl && *cl > server_.options.body_limit) return RejectTooLarge();
    if (parser_->is_done()) return OnBody({}, 0);
    // Body expected: a separate (longer) timeout for it.
    stream_.expires_after(server_.options.body_timeout);
    auto expect = header[http::field::expect];
    if (beast::iequals(expect, "100-continue")) {
      // Clients such as curl wait (1 s) for this before sending larger bodies.
      auto cont = std::make_shared<http::response<http::empty_body>>(http::status::continue_, 11);
      http::async_write(stream_, *cont, [self = shared_from_this(), cont](beast::error_code wec, std::size_t) {
        if (wec) return self->Close();
        self->ReadBody();
      });
      return;
    }
    ReadBody();
  }

  void ReadBody() {
    http::async_read(stream_, buffer_, *parser_, beast::bind_front_handler(&Session::OnBody, shared_from_this()));
  }

  void OnBody(beast::error_code ec, std::size_t) {
    if (ec == http::error::body_limit) return RejectTooLarge();
    if (ec) return Close();
    stream_.expires_never();
    auto msg = parser_->release();
    keep_alive_ = msg.keep_alive();
    is_head_ = msg.method() == http::verb::head;
    auto req = std::make_shared<Request>(ToRequest(msg.base(), std::move(msg.body()), client_ip_));
    Dispatch(std::move(req));
  }

  void RejectTooLarge() {
    RejectAndClose(PayloadTooLarge("The request body exceeds " + std::to_string(server_.options.body_limit) + " bytes"), true);
  }

  // Errors found while reading: answer (with the usual headers and request id) and close,
  // since the rest of the stream cannot be trusted.
  void RejectAndClose(const HttpError& error, bool have_header) {
    auto req = std::make_shared<Request>();
    if (have_header && parser_) {
      *req = ToRequest(parser_->get().base(), {}, client_ip_);
    } else {
      req->method = "UNKNOWN";
    }
    req->client_ip = client_ip_;
    req->request_id = RequestIdFor(*req);
    req->route = "unmatched";
    keep_alive_ = false;
    is_head_ = false;
    start_ = std::chrono::steady_clock::now();
    server_.in_flight.fetch_add(1);
    if (auto* m = server_.pipeline.metrics()) m->RequestStarted();
    Write(req, server_.pipeline.Reject(*req, error));
  }

  void Dispatch(std::shared_ptr<Request> req) {
    start_ = std::chrono::steady_clock::now();
    server_.in_flight.fetch_add(1);
    if (auto* m = server_.pipeline.metrics()) m->RequestStarted();
    auto match = std::make_shared<Router::Match>();
    const Route* route = server_.pipeline.Prepare(*req, *match);
    if (route == nullptr || route->options.inline_handler) {
      Write(req, server_.pipeline.Execute(*req, *match));
      return;
    }
    auto pending = std::make_shared<Pending>(stream_.get_executor());
    pending->timer.expires_at(req->deadline);
    auto self = shared_from_this();
    pending->timer.async_wait([self, pending, req](beast::error_code ec) {
      if (ec) return;  // cancelled: the handler finished first
      if (pending->done.exchange(true)) return;
      self->Write(req, self->server_.pipeline.Timeout(*req));
    });
    // Authentication and the rate limit are decided first without blocking this thread
    // (the Redis check completes on the limiter's pipeline thread); only then does the
    // request take a worker, which may block on the database.
    server_.pipeline.Admit(*req, *match, [self, pending, req, match](Admission admission) {
      if (pending->done.load()) return;  // the deadline has answered already
      const auto admitted = std::chrono::steady_clock::now();
      if (match->route->options.async_handler) {
        // Non-blocking route: stays on the I/O threads (see RouteOptions::async_handler).
        asio::post(self->stream_.get_executor(), [self, pending, req, match, admitted, admission = std::move(admission)] {
          self->RunAsync(pending, req, match, admitted, admission);
        });
        return;
      }
      asio::post(*self->server_.workers, [self, pending, req, match, admitted, admission = std::move(admission)] {
        const auto picked = std::chrono::steady_clock::now();
        Response res = self->server_.pipeline.Execute(*req, *match, &admission);
        if (pending->done.exchange(true)) {
          // The deadline answered already; the late result is dropped (counted in logs).
          log::Debug("Late handler result dropped", {{"request_id", req->request_id}});
          return;
        }
        const auto handled = std::chrono::steady_clock::now();
        asio::post(self->stream_.get_executor(), [self, pending, req, admitted, picked, handled,
                                                  res = std::move(res)]() mutable {
          pending->timer.cancel();
          self->ObservePhases(admitted, picked, handled);
          self->Write(req, std::move(res));
        });
      });
    });
  }

  void RunAsync(const std::shared_ptr<Pending>& pending, const std::shared_ptr<Request>& req,
                const std::shared_ptr<Router::Match>& match, std::chrono::steady_clock::time_point admitted,
                const Admission& admission) {
    const auto picked = std::chrono::steady_clock::now();
    auto self = shared_from_this();
    AsyncContext ctx{stream_.get_executor(),
                     [self](std::function<void()> fn) { asio::post(*self->server_.workers, std::move(fn)); }};
    server_.pipeline.ExecuteAsync(*req, *match, &admission, ctx, [self, pending, req, admitted, picked](Response res) {
      if (pending->done.exchange(true)) return;  // the deadline answered already
      const auto handled = std::chrono::steady_clock::now();
      // Usually called on this session's I/O thread already (the query completed there): then
      // the response is written at once instead of after another trip through the queue.
      asio::dispatch(self->stream_.get_executor(), [self, pending, req, admitted, picked, handled,
                                                    res = std::move(res)]() mutable {
        pending->timer.cancel();
        self->ObservePhases(admitted, picked, handled);
        self->Write(req, std::move(res));
      });
    });
  }

  void ObservePhases(std::chrono::steady_clock::time_point admitted, std::chrono::steady_clock::time_point picked,
                     std::chrono::steady_clock::time_point handled) {
    if (auto* m = server_.pipeline.metrics()) {
      using Seconds = std::chrono::duration<double>;
      m->ObservePhases(Seconds(admitted - start_).count(), Seconds(picked - admitted).count(),
                       Seconds(handled - picked).count(), Seconds(std::chrono::steady_clock::now() - handled).count());
    }
  }

  void Write(const std::shared_ptr<Request>& req, Response res) {
    double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    server_.pipeline.Record(*req, res, seconds);
    bool keep = keep_alive_ && !server_.draining.load();
    // Head and body leave in one gather write (see response_head.hpp).
    struct Out {
      std::string head;
      std::string body;
    };
    auto out = std::make_shared<Out>();
    out->head = SerializeResponseHead(res, keep, is_head_);
    if (ResponseHasBody(res, is_head_)) out->body = std::move(res.body);
    const std::array<asio::const_buffer, 2> buffers{asio::buffer(out->head), asio::buffer(out->body)};
    stream_.expires_after(server_.options.body_timeout);
    asio::async_write(stream_, buffers, [self = shared_from_this(), out, keep](beast::error_code ec, std::size_t) {
      self->OnWrite(ec, keep);
    });
  }

  void OnWrite(beast::error_code ec, bool keep) {
    server_.in_flight.fetch_sub(1);
    if (ec || !keep) return Close();
    ReadHeader();
  }

  void Close() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    stream_.socket().close(ec);
  }

  beast::tcp_stream stream_;
  HttpServer::Impl& server_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::string client_ip_;
  bool keep_alive_ = true;
  bool is_head_ = false;
  std::chrono::steady_clock::time_point start_;
};

}  // namespace

void HttpServer::Impl::Accept() {
  asio::io_context& target = *iocs[next_ioc];
  next_ioc = (next_ioc + 1) % iocs.size();
  acceptor->async_accept(target, [this](beast::error_code ec, tcp::socket socket) {
    if (ec) {
      if (ec == asio::error::operation_aborted || !acceptor->is_open()) return;
      log::Warn("Accept failed", {{"error", ec.message()}});
    } else {
      std::make_shared<Session>(std::move(socket), *this)->Run();
    }
    if (acceptor->is_open()) Accept();
  });
}

HttpServer::HttpServer(ServerOptions options, const Pipeline& pipeline)
    : impl_(std::make_unique<Impl>(std::move(options), pipeline)) {}

HttpServer::~HttpServer() { Stop(); }

void HttpServer::Start() {
  auto& o = impl_->options;
  beast::error_code ec;
  auto address = asio::ip::make_address(o.bind_address, ec);
  if (ec) throw std::runtime_error("invalid bind address " + o.bind_address);
  tcp::endpoint endpoint(address, static_cast<unsigned short>(o.port));
  auto& acc = *impl_->acceptor;
  acc.open(endpoint.protocol(), ec);
  if (!ec) acc.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acc.bind(endpoint, ec);
  if (!ec) acc.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    throw std::runtime_error("cannot listen on " + o.bind_address + ":" + std::to_string(o.port) + ": " + ec.message());
  }
  impl_->bound_port = acc.local_endpoint().port();
  impl_->workers = std::make_unique<asio::thread_pool>(static_cast<std::size_t>(std::max(1, o.worker_threads)));
  impl_->Accept();
  for (auto& ioc : impl_->iocs) {
    impl_->io_threads.emplace_back([ioc = ioc.get()] { ioc->run(); });
  }
}

int HttpServer::port() const { return impl_->bound_port; }

std::vector<asio::io_context*> HttpServer::io_contexts() const {
  std::vector<asio::io_context*> out;
  for (auto& ioc : impl_->iocs) out.push_back(ioc.get());
  return out;
}

void HttpServer::StopAccepting() {
  impl_->draining.store(true);
  asio::post(*impl_->iocs.front(), [this] {
    beast::error_code ec;
    impl_->acceptor->close(ec);
  });
}

bool HttpServer::draining() const { return impl_->draining.load(); }

std::int64_t HttpServer::in_flight() const { return impl_->in_flight.load(); }

bool HttpServer::WaitIdle(std::chrono::steady_clock::time_point deadline) {
  while (impl_->in_flight.load() > 0) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return true;
}

void HttpServer::Stop() {
  if (impl_->stopped.exchange(true)) return;
  impl_->draining.store(true);
  for (auto& ioc : impl_->iocs) ioc->stop();
  for (auto& t : impl_->io_threads) {
    if (t.joinable()) t.join();
  }
  if (impl_->workers) impl_->workers->join();
}

}  // namespace tenant::api::server
