#pragma once
// Typed HTTP errors. Handlers and middleware throw HttpError; the server turns it into an
// RFC 9457 application/problem+json response in exactly one place (problem.cpp), adding
// the request id. Anything else thrown becomes a generic 500 (never SQL text or stack
// traces in the body; the original message goes to the log and to Sentry only).
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace tenant::api::server {

struct FieldError {
  std::string field;    // JSON pointer-ish path of the offending field, e.g. "lines[2].quantity"
  std::string message;  // human readable, no secrets
};

class HttpError : public std::runtime_error {
 public:
  // `type` is a short slug ("validation_failed", "insufficient_stock"); the problem
  // document's "type" member becomes ProblemTypeUri(type). `title` is the short summary
  // that stays the same for every occurrence of the type; `detail` is specific.
  HttpError(int status, std::string type, std::string title, std::string detail = {},
            std::vector<FieldError> errors = {});

  int status() const noexcept { return status_; }
  const std::string& type() const noexcept { return type_; }
  const std::string& title() const noexcept { return title_; }
  const std::string& detail() const noexcept { return detail_; }
  const std::vector<FieldError>& errors() const noexcept { return errors_; }

  // Extra members of the problem document (e.g. {"products": [...]} for insufficient_stock).
  nlohmann::json& extensions() noexcept { return extensions_; }
  const nlohmann::json& extensions() const noexcept { return extensions_; }
  // Extra response headers (e.g. Retry-After, RateLimit-*, WWW-Authenticate, ETag).
  std::vector<std::pair<std::string, std::string>>& headers() noexcept { return headers_; }
  const std::vector<std::pair<std::string, std::string>>& headers() const noexcept {
    return headers_;
  }

  HttpError& WithExtension(const std::string& key, nlohmann::json value);
  HttpError& WithHeader(std::string name, std::string value);

 private:
  int status_;
  std::string type_;
  std::string title_;
  std::string detail_;
  std::vector<FieldError> errors_;
  nlohmann::json extensions_ = nlohmann::json::object();
  std::vector<std::pair<std::string, std::string>> headers_;
};

// "https://tenancy.erp.dev/problems/<slug>"
std::string ProblemTypeUri(const std::string& slug);

// Factories for the common cases (types: bad_request, unauthorized, forbidden, not_found,
// method_not_allowed, conflict, precondition_failed, payload_too_large,
// unsupported_media_type, validation_failed, too_many_requests, internal,
// service_unavailable).
HttpError BadRequest(std::string detail);
HttpError Unauthorized(std::string detail);  // adds WWW-Authenticate: Bearer
HttpError Forbidden(std::string detail);
HttpError NotFound(std::string detail);
HttpError Conflict(std::string type, std::string detail);
HttpError PreconditionFailed(std::string detail);
HttpError PayloadTooLarge(std::string detail);
HttpError UnsupportedMediaType(std::string detail);
HttpError ValidationFailed(std::vector<FieldError> errors);  // 422
HttpError ServiceUnavailable(std::string detail);
HttpError Internal();

}  // namespace tenant::api::server
