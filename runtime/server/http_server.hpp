#pragma once
// HTTP/1.1 server on Boost.Beast/Asio: keep-alive, 16 KiB header limit (431), 1 MiB body
// limit (413), header/body read timeouts against slow clients, handlers on a worker pool
// raced against the per-request deadline (503), graceful drain. One io_context per I/O
// thread; every connection stays on one of them.
#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "runtime/server/pipeline.hpp"

namespace boost::asio {
class io_context;
}

namespace tenant::api::server {

struct ServerOptions {
  std::string bind_address = "0.0.0.0";
  int port = 8080;  // 0 = ephemeral (see HttpServer::port())
  int io_threads = 2;
  int worker_threads = 8;
  std::size_t header_limit = 16 * 1024;
  std::size_t body_limit = 1024 * 1024;
  std::chrono::milliseconds header_timeout{10'000};
  std::chrono::milliseconds body_timeout{30'000};
};

class HttpServer {
 public:
  HttpServer(ServerOptions options, const Pipeline& pipeline);
  ~HttpServer();  // Stop()
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds, listens and starts the I/O and worker threads. Throws std::runtime_error when
  // the address cannot be bound.
  void Start();
  int port() const;
  // The I/O threads' contexts (one thread each, created with the server, run by Start()),
  // for components that should complete their I/O on the thread that asked for it (the
  // Redis rate limiter). They stop in Stop() and are destroyed with the server.
  std::vector<boost::asio::io_context*> io_contexts() const;

  // Graceful shutdown, step 1: stop accepting; responses now carry Connection: close.
  void StopAccepting();
  bool draining() const;
  // Step 2: waits until no request is in flight or `deadline` passes; true when idle.
  bool WaitIdle(std::chrono::steady_clock::time_point deadline);
  std::int64_t in_flight() const;
  // Step 3: closes every connection, stops the threads (waits for running handlers).
  void Stop();

  struct Impl;  // http_server.cpp

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace tenant::api::server
