#include "runtime/openapi/document.hpp"

#include <algorithm>
#include <cctype>
#include <stdexcept>

namespace tenant::api::openapi {

using nlohmann::json;

namespace {

json ProblemSchema() {
  return {
      {"type", "object"},
      {"description", "RFC 9457 problem details"},
      {"required", {"type", "title", "status", "request_id"}},
      {"properties",
       {{"type", {{"type", "string"}, {"format", "uri"}}},
        {"title", {{"type", "string"}}},
        {"status", {{"type", "integer"}}},
        {"detail", {{"type", "string"}}},
        {"instance", {{"type", "string"}}},
        {"request_id", {{"type", "string"}, {"pattern", "^[A-Za-z0-9._-]{1,128}$"}}},
        {"errors",
         {{"type", "array"},
          {"items",
           {{"type", "object"},
            {"required", {"field", "message"}},
            {"properties", {{"field", {{"type", "string"}}}, {"message", {{"type", "string"}}}}}}}}}}},
  };
}

json ProblemResponseObject(const std::string& description, bool with_retry_after = false,
                           bool with_rate_headers = false) {
  json r = {{"description", description},
            {"content", {{"application/problem+json", {{"schema", {{"$ref", "#/components/schemas/Problem"}}}}}}}};
  if (with_retry_after || with_rate_headers) r["headers"] = json::object();
  if (with_retry_after) r["headers"]["Retry-After"] = {{"schema", {{"type", "integer"}}}};
  if (with_rate_headers) {
    for (const char* h : {"RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset"}) {
      r["headers"][h] = {{"schema", {{"type", "integer"}}}};
    }
  }
  return r;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

}  // namespace

Document::Document(std::string title, std::string version) {
  doc_ = {
      {"openapi", "3.1.0"},
      {"info",
       {{"title", std::move(title)},
        {"version", std::move(version)},
        {"description",
         "Per-tenant ERP API. Every response carries X-Request-ID and security headers; errors are "
         "application/problem+json (RFC 9457)."}}},
      {"paths", json::object()},
      {"components",
       {{"schemas", {{"Problem", ProblemSchema()}}},
        {"securitySchemes", {{"bearerAuth", {{"type", "http"}, {"scheme", "bearer"}, {"bearerFormat", "JWT"}}}}},
        {"responses",
         {{"Problem", ProblemResponseObject("Error")},
          {"BadRequest", ProblemResponseObject("Malformed request")},
          {"ValidationError", ProblemResponseObject("Validation failed; errors[] lists every field")},
          {"Unauthorized", ProblemResponseObject("Missing or invalid access token")},
          {"Forbidden", ProblemResponseObject("The role may not perform this operation")},
          {"NotFound", ProblemResponseObject("No such resource")},
          {"Conflict", ProblemResponseObject("Conflict with the current state")},
          {"PreconditionFailed", ProblemResponseObject("If-Match did not match the current ETag")},
          {"PayloadTooLarge", ProblemResponseObject("Body larger than 1 MiB")},
          {"UnsupportedMediaType", ProblemResponseObject("Content-Type is not application/json")},
          {"TooManyRequests", ProblemResponseObject("Rate limit exceeded", true, true)},
          {"InternalError", ProblemResponseObject("Unexpected error")},
          {"ServiceUnavailable", ProblemResponseObject("Dependency unavailable or deadline expired", true)}}}}},
  };
}

void Document::AddOperation(std::string_view method, std::string_view path, json operation) {
  std::lock_guard lock(mu_);
  std::string m = Lower(method);
  auto& item = doc_["paths"][std::string(path)];
  if (item.contains(m)) {
    throw std::invalid_argument("duplicate OpenAPI operation " + m + " " + std::string(path));
  }
  if (!operation.contains("responses")) operation["responses"] = json::object();
  auto& responses = operation["responses"];
  // Every operation can fail these ways; list them unless the author did.
  if (!responses.contains("500")) responses["500"] = ErrorResponse("InternalError");
  if (!responses.contains("503")) responses["503"] = ErrorResponse("ServiceUnavailable");
  if (!responses.contains("default")) responses["default"] = ErrorResponse("Problem");
  // Path parameters declared from the template when the author did not.
  if (!operation.contains("parameters")) {
    json params = json::array();
    std::string p(path);
    std::size_t pos = 0;
    while ((pos = p.find('{', pos)) != std::string::npos) {
      auto end = p.find('}', pos);
      if (end == std::string::npos) break;
      params.push_back({{"name", p.substr(pos + 1, end - pos - 1)},
                        {"in", "path"},
                        {"required", true},
                        {"schema", {{"type", "string"}}}});
      pos = end;
    }
    if (!params.empty()) operation["parameters"] = std::move(params);
  }
  item[m] = std::move(operation);
  dirty_ = true;
}

void Document::AddSchema(const std::string& name, json schema) {
  std::lock_guard lock(mu_);
  doc_["components"]["schemas"][name] = std::move(schema);
  dirty_ = true;
}

json Document::Ref(std::string_view schema_name) {
  return {{"$ref", "#/components/schemas/" + std::string(schema_name)}};
}

json Document::ErrorResponse(std::string_view name) {
  return {{"$ref", "#/components/responses/" + std::string(name)}};
}

json Document::JsonContent(const json& schema) { return {{"application/json", {{"schema", schema}}}}; }

json Document::ToJson() const {
  std::lock_guard lock(mu_);
  return doc_;
}

std::string Document::Serialized() const {
  std::lock_guard lock(mu_);
  if (dirty_) {
    cache_ = doc_.dump();
    dirty_ = false;
  }
  return cache_;
}

}  // namespace tenant::api::openapi
