#pragma once
// Minimal blocking HTTP/1.1 client for the tenant-api integration tests (Boost.Beast).
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <map>
#include <string>
#include <thread>
#include <vector>

namespace tenant::test::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = asio::ip::tcp;

struct Reply {
  int status = 0;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
  bool keep_alive = false;

  std::string Header(std::string name) const {
    std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
    auto it = headers.find(name);
    return it == headers.end() ? std::string() : it->second;
  }
  bool Has(const std::string& name) const { return !Header(name).empty(); }
};

using Headers = std::vector<std::pair<std::string, std::string>>;

// One keep-alive connection.
class Client {
 public:
  explicit Client(int port, std::chrono::milliseconds timeout = std::chrono::seconds(10)) : stream_(ioc_) {
    stream_.expires_after(timeout);
    stream_.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(port)));
    timeout_ = timeout;
  }

  Reply Send(const std::string& method, const std::string& target, const Headers& headers = {},
             const std::string& body = {}) {
    bhttp::request<bhttp::string_body> req(bhttp::string_to_verb(method), target, 11);
    req.set(bhttp::field::host, "127.0.0.1");
    for (const auto& [k, v] : headers) req.set(k, v);
    if (!body.empty() || method == "POST" || method == "PUT" || method == "PATCH") {
      req.body() = body;
      req.prepare_payload();
    }
    stream_.expires_after(timeout_);
    bhttp::write(stream_, req);
    bhttp::response_parser<bhttp::string_body> parser;
    parser.body_limit(64 * 1024 * 1024);
    if (method == "HEAD") parser.skip(true);
    bhttp::read(stream_, buffer_, parser);
    auto res = parser.release();
    Reply r;
    r.status = static_cast<int>(res.result_int());
    for (const auto& f : res) {
      std::string name(f.name_string());
      std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
      r.headers[name] = std::string(f.value());
    }
    r.body = res.body();
    r.keep_alive = res.keep_alive();
    return r;
  }

  beast::tcp_stream& stream() { return stream_; }

 private:
  asio::io_context ioc_;
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::chrono::milliseconds timeout_;
};

inline Reply Send(int port, const std::string& method, const std::string& target, const Headers& headers = {},
                  const std::string& body = {}) {
  Client c(port);
  return c.Send(method, target, headers, body);
}

// Writes raw bytes, then reads until the peer closes or `timeout` passes. Returns what was
// read and whether the peer closed.
struct RawResult {
  std::string data;
  bool closed = false;
};
inline RawResult RawExchange(int port, const std::string& bytes, std::chrono::milliseconds timeout) {
  asio::io_context ioc;
  tcp::socket s(ioc);
  s.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(port)));
  if (!bytes.empty()) asio::write(s, asio::buffer(bytes));
  RawResult out;
  s.non_blocking(true);
  auto deadline = std::chrono::steady_clock::now() + timeout;
  char buf[4096];
  while (std::chrono::steady_clock::now() < deadline) {
    beast::error_code ec;
    std::size_t n = s.read_some(asio::buffer(buf), ec);
    if (ec == asio::error::would_block) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
      continue;
    }
    if (ec) {
      out.closed = true;
      break;
    }
    out.data.append(buf, n);
  }
  return out;
}

template <typename F>
bool Eventually(F&& predicate, std::chrono::milliseconds timeout, std::chrono::milliseconds step = std::chrono::milliseconds(100)) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (predicate()) return true;
    std::this_thread::sleep_for(step);
  }
  return predicate();
}

}  // namespace tenant::test::http
