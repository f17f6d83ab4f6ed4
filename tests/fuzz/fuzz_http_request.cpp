// Raw bytes -> Beast request parser (the server's limits) -> Request -> full pipeline
// (routing, CORS, auth hook, JSON validation handler, problem+json). Must never crash,
// and every response must carry a request id and the security headers.
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <cstdint>
#include <cstdlib>

#include "common/log/log.hpp"
#include "common/metrics/metrics.hpp"
#include "runtime/server/http_error.hpp"
#include "runtime/server/json_body.hpp"
#include "runtime/server/pipeline.hpp"

namespace beast = boost::beast;
namespace http = beast::http;
using namespace tenant::api;

namespace {

struct World {
  tenant::metrics::Registry registry;
  server::Router router;
  server::HttpMetrics metrics{registry};
  std::unique_ptr<server::Pipeline> pipeline;

  World() {
    tenant::log::SetLevel(tenant::log::Level::kOff);
    router.Post("/api/v1/products", [](server::Request& req) {
      auto body = server::ParseJsonBody(req);
      server::JsonObject in(body);
      in.RequiredString("sku", {1, 64});
      in.RequiredInt("unit_price_minor", {0});
      in.OptionalBool("active");
      if (const auto* lines = in.RequiredArray("lines")) {
        for (std::size_t i = 0; i < lines->size() && i < 100; ++i) {
          server::JsonObject line((*lines)[i], "lines[" + std::to_string(i) + "].", &in.mutable_errors());
          line.RequiredInt("product_id", {1});
          line.CheckUnknown();
        }
      }
      in.Finish();
      return server::Response::Json(201, body);
    }, server::RouteOptions::Anonymous().Json());
    router.Get("/api/v1/products/{id}", [](server::Request& req) {
      return server::Response::Json(200, {{"id", req.PathParam("id")}});
    });
    server::PipelineOptions o;
    o.cors_origins = {"https://app.example.com"};
    pipeline = std::make_unique<server::Pipeline>(router, o, nullptr, &metrics);
    pipeline->SetAuthHook([](const server::Request& r) -> server::Principal {
      if (r.Header("authorization") == std::optional<std::string_view>("Bearer ok")) return {"1", "clerk", "t", "j", "u"};
      throw server::Unauthorized("bad token");
    });
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static World world;
  http::request_parser<http::string_body> parser;
  parser.header_limit(16 * 1024);
  parser.body_limit(1024 * 1024);
  parser.eager(true);
  beast::error_code ec;
  parser.put(boost::asio::buffer(data, size), ec);
  if (ec || !parser.is_header_done()) return 0;
  const auto& msg = parser.get();
  server::Request req;
  req.method = std::string(msg.method_string());
  std::string_view target(msg.target().data(), msg.target().size());
  req.target = std::string(target);
  auto qm = target.find('?');
  auto decoded = server::PercentDecode(target.substr(0, qm), false);
  req.path = decoded ? *decoded : std::string(target.substr(0, qm));
  if (qm != std::string_view::npos) req.query = server::ParseQuery(target.substr(qm + 1));
  for (const auto& f : msg) {
    std::string name(f.name_string());
    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    req.headers.emplace_back(std::move(name), std::string(f.value()));
  }
  req.body = msg.body();
  req.client_ip = "127.0.0.1";
  world.metrics.RequestStarted();
  server::Response res = world.pipeline->Handle(req);
  world.pipeline->Record(req, res, 0.0);
  if (res.FindHeader("X-Request-ID") == nullptr || res.FindHeader("X-Content-Type-Options") == nullptr) abort();
  if (!server::IsValidRequestId(*res.FindHeader("X-Request-ID"))) abort();
  if (res.status >= 400 && res.content_type != "application/problem+json" && res.status != 405) abort();
  return 0;
}
