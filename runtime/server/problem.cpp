#include "runtime/server/problem.hpp"

namespace tenant::api::server {

nlohmann::json ProblemBody(const HttpError& error, const std::string& request_id,
                           const std::string& instance) {
  nlohmann::json body = nlohmann::json::object();
  // Extensions first so the standard members below always win over a clash.
  for (auto it = error.extensions().begin(); it != error.extensions().end(); ++it) {
    body[it.key()] = it.value();
  }
  body["type"] = ProblemTypeUri(error.type());
  body["title"] = error.title();
  body["status"] = error.status();
  if (!error.detail().empty()) body["detail"] = error.detail();
  if (!instance.empty()) body["instance"] = instance;
  body["request_id"] = request_id;
  if (!error.errors().empty()) {
    nlohmann::json list = nlohmann::json::array();
    for (const auto& fe : error.errors()) {
      list.push_back({{"field", fe.field}, {"message", fe.message}});
    }
    body["errors"] = std::move(list);
  }
  return body;
}

Response ProblemResponse(const HttpError& error, const std::string& request_id,
                         const std::string& instance) {
  Response r;
  r.status = error.status();
  r.content_type = kProblemContentType;
  r.body = ProblemBody(error, request_id, instance).dump(-1, ' ', false,
                                                         nlohmann::json::error_handler_t::replace);
  r.headers = error.headers();
  return r;
}

}  // namespace tenant::api::server
