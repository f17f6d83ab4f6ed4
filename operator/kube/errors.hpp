#pragma once

#include <chrono>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace tenant::kube {

// Typed errors parsed from the API server's metav1.Status (code, reason, message, details).
// Catch the subclass you care about, or test with the Is* helpers below (which also match
// the equivalent reason on a plain ApiError, as apimachinery's errors.IsNotFound does).

struct StatusCause {
  std::string type;     // e.g. "FieldValueInvalid"
  std::string message;
  std::string field;    // e.g. "spec.replicas"
};

struct Status {
  int code = 0;              // HTTP status code
  std::string reason;        // metav1.StatusReason, e.g. "NotFound", "Conflict", "Expired"
  std::string message;
  std::vector<StatusCause> causes;
  std::optional<int> retry_after_seconds;  // details.retryAfterSeconds or Retry-After header
};

// Parses a metav1.Status JSON body. Pure. When the body is not a Status (proxies, plain
// text), the reason is derived from the HTTP code and the message is the body, truncated.
Status ParseStatus(int http_code, std::string_view body);

class ApiError : public std::runtime_error {
 public:
  explicit ApiError(Status status);
  const Status& status() const noexcept { return status_; }
  int code() const noexcept { return status_.code; }
  const std::string& reason() const noexcept { return status_.reason; }

 private:
  Status status_;
};

class BadRequestError : public ApiError { using ApiError::ApiError; };        // 400
class UnauthorizedError : public ApiError { using ApiError::ApiError; };      // 401
class ForbiddenError : public ApiError { using ApiError::ApiError; };         // 403
class NotFoundError : public ApiError { using ApiError::ApiError; };          // 404
class MethodNotAllowedError : public ApiError { using ApiError::ApiError; };  // 405
class ConflictError : public ApiError { using ApiError::ApiError; };          // 409 reason Conflict
class AlreadyExistsError : public ApiError { using ApiError::ApiError; };     // 409 reason AlreadyExists
class GoneError : public ApiError { using ApiError::ApiError; };              // 410 Gone / Expired
class InvalidError : public ApiError { using ApiError::ApiError; };           // 422 (causes = fields)
class TooManyRequestsError : public ApiError { using ApiError::ApiError; };   // 429
class ServerError : public ApiError { using ApiError::ApiError; };            // 5xx, incl. timeouts

// Network failure, TLS failure, or a malformed response: no Status was received.
class TransportError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Throws the ApiError subclass matching `status` (always throws).
[[noreturn]] void ThrowStatus(Status status);

bool IsNotFound(const std::exception& e);
bool IsConflict(const std::exception& e);
bool IsAlreadyExists(const std::exception& e);
bool IsGone(const std::exception& e);          // 410 or reason Expired/Gone
bool IsInvalid(const std::exception& e);
bool IsForbidden(const std::exception& e);
bool IsTooManyRequests(const std::exception& e);
bool IsServerError(const std::exception& e);

}  // namespace tenant::kube
