// Sentry: a local capture server receives a well-formed, scrubbed envelope for a forced 500.
#include <catch2/catch.hpp>

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <condition_variable>
#include <mutex>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "runtime/sentry/reporter.hpp"
#include "tests/integration/runtime/server_test_app.hpp"
#include "tests/integration/runtime/server_test_client.hpp"

using namespace tenant;
using namespace tenant::api;
using nlohmann::json;
namespace th = tenant::test::http;
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;

namespace {

// Accepts connections on 127.0.0.1:<ephemeral>, records each request, answers 200.
class CaptureServer {
 public:
  struct Captured {
    std::string target;
    std::string auth;
    std::string content_type;
    std::string body;
  };

  CaptureServer() : acceptor_(ioc_, {asio::ip::make_address("127.0.0.1"), 0}) {
    port_ = acceptor_.local_endpoint().port();
    thread_ = std::thread([this] { Loop(); });
  }
  ~CaptureServer() {
    stop_ = true;
    beast::error_code ec;
    acceptor_.close(ec);
    ioc_.stop();
    // Unblock accept() with a throwaway connection.
    try {
      asio::io_context io;
      asio::ip::tcp::socket s(io);
      s.connect({asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(port_)});
    } catch (...) {
    }
    if (thread_.joinable()) thread_.join();
  }
  int port() const { return port_; }

  bool WaitFor(std::size_t n, std::chrono::milliseconds timeout) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return captured_.size() >= n; });
  }
  std::vector<Captured> captured() {
    std::lock_guard lock(mu_);
    return captured_;
  }

 private:
  void Loop() {
    while (!stop_) {
      beast::error_code ec;
      asio::ip::tcp::socket socket(ioc_);
      acceptor_.accept(socket, ec);
      if (ec || stop_) return;
      beast::flat_buffer buffer;
      while (true) {
        bhttp::request<bhttp::string_body> req;
        bhttp::read(socket, buffer, req, ec);
        if (ec) break;
        {
          std::lock_guard lock(mu_);
          captured_.push_back({std::string(req.target()), std::string(req["X-Sentry-Auth"]),
                               std::string(req[bhttp::field::content_type]), req.body()});
        }
        cv_.notify_all();
        bhttp::response<bhttp::string_body> res(bhttp::status::ok, 11);
        res.body() = "{\"id\":\"x\"}";
        res.prepare_payload();
        res.keep_alive(req.keep_alive());
        bhttp::write(socket, res, ec);
        if (ec || !req.keep_alive()) break;
      }
    }
  }

  asio::io_context ioc_;
  asio::ip::tcp::acceptor acceptor_;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Captured> captured_;
};

std::vector<std::string> Lines(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream in(s);
  std::string line;
  while (std::getline(in, line)) out.push_back(line);
  return out;
}

}  // namespace

TEST_CASE("a forced 500 reaches the Sentry capture server, scrubbed", "[integration][sentry]") {
  CaptureServer capture;
  auto cfg = test::BaseConfig();
  cfg.sentry_dsn = "http://publickey123@127.0.0.1:" + std::to_string(capture.port()) + "/42";
  cfg.environment = config::Environment::kStaging;
  auto app = test::StartApp(cfg, [](server::Router& r, app::AppContext&) {
    r.Post("/test/boom", [](server::Request&) -> server::Response {
      throw std::runtime_error("insert failed for password=hunter2 using postgresql://app:dbsecret@db/x");
    }, server::RouteOptions::Anonymous());
  });
  auto reply = th::Send(app->port(), "POST", "/test/boom",
                        {{"Authorization", "Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl"},
                         {"Cookie", "session=cookievalue"},
                         {"X-Request-ID", "sentry-test-1"},
                         {"Content-Type", "application/json"}},
                        "{\"password\":\"bodysecret\"}");
  REQUIRE(reply.status == 500);
  CHECK(reply.body.find("hunter2") == std::string::npos);  // never in the response either

  REQUIRE(capture.WaitFor(1, std::chrono::seconds(10)));
  auto got = capture.captured().at(0);
  CHECK(got.target == "/api/42/envelope/");
  CHECK(got.auth.find("sentry_key=publickey123") != std::string::npos);
  CHECK(got.auth.find("sentry_version=7") != std::string::npos);
  CHECK(got.content_type == "application/x-sentry-envelope");

  auto lines = Lines(got.body);
  REQUIRE(lines.size() == 3);
  auto header = json::parse(lines[0]);
  auto item = json::parse(lines[1]);
  auto event = json::parse(lines[2]);
  CHECK(header["event_id"] == event["event_id"]);
  CHECK(item["type"] == "event");
  CHECK(item["length"] == lines[2].size());
  CHECK(event["tags"]["request_id"] == "sentry-test-1");
  CHECK(event["tags"]["route"] == "/test/boom");
  CHECK(event["tags"]["tenant"] == "acme");
  CHECK(event["release"] == "tenant-api@test");
  CHECK(event["environment"] == "staging");
  CHECK(event["level"] == "error");
  CHECK(event["request"]["headers"]["authorization"] == "[Filtered]");
  CHECK(event["request"]["headers"]["cookie"] == "[Filtered]");
  for (const char* secret : {"hunter2", "dbsecret", "eyJhbGciOiJIUzI1NiJ9", "cookievalue", "bodysecret"}) {
    INFO(secret);
    CHECK(got.body.find(secret) == std::string::npos);
  }
}

TEST_CASE("a full Sentry queue drops events and counts them without blocking", "[integration][sentry]") {
  metrics::Registry registry;
  // A port where nothing answers quickly: connection refused on loopback.
  int closed_port = 0;
  {
    asio::io_context io;
    asio::ip::tcp::acceptor a(io, {asio::ip::make_address("127.0.0.1"), 0});
    closed_port = a.local_endpoint().port();
  }
  sentry::ReporterOptions o{*sentry::ParseDsn("http://k@127.0.0.1:" + std::to_string(closed_port) + "/1")};
  o.queue_capacity = 2;
  sentry::Reporter reporter(o, registry);
  sentry::EventInput in;
  in.message = "boom";
  int accepted = 0;
  for (int i = 0; i < 50; ++i) accepted += reporter.Capture(in) ? 1 : 0;
  CHECK(accepted >= 2);   // the queue took what fits
  CHECK(accepted < 50);   // and Capture returned instead of waiting for room
  auto text = registry.Render();
  const std::string series = "\nsentry_events_dropped_total ";
  auto pos = text.find(series);
  REQUIRE(pos != std::string::npos);
  CHECK(std::stod(text.substr(pos + series.size())) == 50 - accepted);
}
