#include "operator/manager/http_endpoints.hpp"

#include <cpprest/http_listener.h>

#include <stdexcept>

namespace tenant::manager {

namespace http = web::http;

std::string ListenUri(const std::string& bind_address) {
  auto colon = bind_address.rfind(':');
  if (colon == std::string::npos || colon + 1 >= bind_address.size()) {
    throw std::invalid_argument("bind address needs a port: " + bind_address);
  }
  std::string host = bind_address.substr(0, colon);
  if (host.empty()) host = "0.0.0.0";
  return "http://" + host + ":" + bind_address.substr(colon + 1);
}

struct HttpEndpoints::Impl {
  std::unique_ptr<http::experimental::listener::http_listener> listener;
  std::map<std::string, std::function<HttpReply()>> routes;
  bool open = false;
};

HttpEndpoints::HttpEndpoints(const std::string& bind_address, std::map<std::string, std::function<HttpReply()>> routes)
    : impl_(std::make_unique<Impl>()) {
  impl_->routes = std::move(routes);
  impl_->listener = std::make_unique<http::experimental::listener::http_listener>(ListenUri(bind_address));
  impl_->listener->support([impl = impl_.get()](http::http_request req) {
    const auto path = http::uri::decode(req.relative_uri().path());
    if (req.method() != http::methods::GET && req.method() != http::methods::HEAD) {
      req.reply(http::status_codes::MethodNotAllowed, "method not allowed\n", "text/plain; charset=utf-8");
      return;
    }
    auto it = impl->routes.find(path);
    if (it == impl->routes.end()) {
      req.reply(http::status_codes::NotFound, "not found\n", "text/plain; charset=utf-8");
      return;
    }
    HttpReply r;
    try {
      r = it->second();
    } catch (const std::exception& e) {
      r = {500, "text/plain; charset=utf-8", std::string("error: ") + e.what() + "\n"};
    }
    req.reply(static_cast<http::status_code>(r.status), r.body, r.content_type);
  });
}

HttpEndpoints::~HttpEndpoints() { Close(); }

void HttpEndpoints::Open() {
  try {
    impl_->listener->open().wait();
    impl_->open = true;
  } catch (const std::exception& e) {
    throw std::runtime_error(std::string("cannot listen on ") + impl_->listener->uri().to_string() + ": " + e.what());
  }
}

void HttpEndpoints::Close() {
  if (!impl_ || !impl_->open) return;
  try {
    impl_->listener->close().wait();
  } catch (const std::exception&) {
  }
  impl_->open = false;
}

}  // namespace tenant::manager
