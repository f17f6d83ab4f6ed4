#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>

namespace tenant::manager {

struct HttpReply {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
};

// A tiny GET-only HTTP server (cpprestsdk http_listener) for probes and metrics: low
// traffic, one handler per exact path, 404 otherwise.
class HttpEndpoints {
 public:
  // bind_address like ":8080", "127.0.0.1:9090" or "0.0.0.0:8081".
  HttpEndpoints(const std::string& bind_address, std::map<std::string, std::function<HttpReply()>> routes);
  ~HttpEndpoints();
  void Open();   // throws std::runtime_error when the address cannot be bound
  void Close();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// ":8080" -> "http://0.0.0.0:8080". Throws std::invalid_argument without a port.
std::string ListenUri(const std::string& bind_address);

}  // namespace tenant::manager
