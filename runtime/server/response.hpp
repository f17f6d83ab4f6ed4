#pragma once
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace tenant::api::server {

struct Response {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  // Extra headers (ETag, Location, ...). Security headers, request id, CORS and
  // RateLimit-* are added by the server; do not set them here.
  std::vector<std::pair<std::string, std::string>> headers;

  static Response Json(int status, const nlohmann::json& body);
  static Response Text(int status, std::string body, std::string content_type = "text/plain; charset=utf-8");
  static Response NoContent();  // 204

  Response& SetHeader(std::string name, std::string value);
  // Case-insensitive lookup of a header set on this response.
  const std::string* FindHeader(std::string_view name) const;
};

}  // namespace tenant::api::server
