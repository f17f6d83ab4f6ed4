#include "runtime/server/http_error.hpp"

namespace tenant::api::server {

HttpError::HttpError(int status, std::string type, std::string title, std::string detail,
                     std::vector<FieldError> errors)
    : std::runtime_error(title + (detail.empty() ? "" : ": " + detail)),
      status_(status),
      type_(std::move(type)),
      title_(std::move(title)),
      detail_(std::move(detail)),
      errors_(std::move(errors)) {}

HttpError& HttpError::WithExtension(const std::string& key, nlohmann::json value) {
  extensions_[key] = std::move(value);
  return *this;
}

HttpError& HttpError::WithHeader(std::string name, std::string value) {
  headers_.emplace_back(std::move(name), std::move(value));
  return *this;
}

std::string ProblemTypeUri(const std::string& slug) {
  return "https://tenancy.erp.dev/problems/" + slug;
}

HttpError BadRequest(std::string detail) {
  return HttpError(400, "bad_request", "Bad request", std::move(detail));
}
HttpError Unauthorized(std::string detail) {
  HttpError e(401, "unauthorized", "Authentication required", std::move(detail));
  e.WithHeader("WWW-Authenticate", "Bearer");
  return e;
}
HttpError Forbidden(std::string detail) {
  return HttpError(403, "forbidden", "Forbidden", std::move(detail));
}
HttpError NotFound(std::string detail) {
  return HttpError(404, "not_found", "Not found", std::move(detail));
}
HttpError Conflict(std::string type, std::string detail) {
  return HttpError(409, std::move(type), "Conflict", std::move(detail));
}
HttpError PreconditionFailed(std::string detail) {
  return HttpError(412, "precondition_failed", "Precondition failed", std::move(detail));
}
HttpError PayloadTooLarge(std::string detail) {
  return HttpError(413, "payload_too_large", "Payload too large", std::move(detail));
}
HttpError UnsupportedMediaType(std::string detail) {
  return HttpError(415, "unsupported_media_type", "Unsupported media type", std::move(detail));
}
HttpError ValidationFailed(std::vector<FieldError> errors) {
  return HttpError(422, "validation_failed", "Validation failed",
                   "The request body has " + std::to_string(errors.size()) + " invalid field(s)",
                   std::move(errors));
}
HttpError ServiceUnavailable(std::string detail) {
  return HttpError(503, "service_unavailable", "Service unavailable", std::move(detail));
}
HttpError Internal() {
  return HttpError(500, "internal", "Internal server error",
                   "An unexpected error occurred; quote the request id when reporting it");
}

}  // namespace tenant::api::server
