#include "operator/kube/errors.hpp"

namespace tenant::kube {
namespace {

std::string ReasonForCode(int code) {
  switch (code) {
    case 400: return "BadRequest";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "NotFound";
    case 405: return "MethodNotAllowed";
    case 409: return "Conflict";
    case 410: return "Gone";
    case 415: return "UnsupportedMediaType";
    case 422: return "Invalid";
    case 429: return "TooManyRequests";
    case 500: return "InternalError";
    case 503: return "ServiceUnavailable";
    case 504: return "Timeout";
    default: return code >= 500 ? "InternalError" : "Unknown";
  }
}

std::string Describe(const Status& s) {
  std::string text = s.message.empty() ? s.reason : s.message;
  text += " (HTTP " + std::to_string(s.code) + ", reason " + s.reason + ")";
  for (const auto& c : s.causes) {
    text += "; " + (c.field.empty() ? std::string() : c.field + ": ") + c.message;
  }
  return text;
}

const ApiError* AsApi(const std::exception& e) { return dynamic_cast<const ApiError*>(&e); }

}  // namespace

Status ParseStatus(int http_code, std::string_view body) {
  Status s;
  s.code = http_code;
  auto j = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (j.is_object() && j.value("kind", "") == "Status") {
    if (j.contains("code") && j["code"].is_number_integer() && j["code"].get<int>() != 0) {
      s.code = j["code"].get<int>();
    }
    s.reason = j.value("reason", "");
    s.message = j.value("message", "");
    if (auto d = j.find("details"); d != j.end() && d->is_object()) {
      if (auto ra = d->find("retryAfterSeconds"); ra != d->end() && ra->is_number_integer()) {
        s.retry_after_seconds = ra->get<int>();
      }
      if (auto causes = d->find("causes"); causes != d->end() && causes->is_array()) {
        for (const auto& c : *causes) {
          if (!c.is_object()) continue;
          s.causes.push_back({c.value("reason", ""), c.value("message", ""), c.value("field", "")});
        }
      }
    }
  } else {
    constexpr std::size_t kMax = 512;
    s.message = std::string(body.substr(0, kMax));
  }
  if (s.reason.empty()) s.reason = ReasonForCode(s.code);
  return s;
}

ApiError::ApiError(Status status) : std::runtime_error(Describe(status)), status_(std::move(status)) {}

void ThrowStatus(Status s) {
  const int code = s.code;
  if (code == 404) throw NotFoundError(std::move(s));
  if (code == 409) {
    if (s.reason == "AlreadyExists") throw AlreadyExistsError(std::move(s));
    throw ConflictError(std::move(s));
  }
  if (code == 410 || s.reason == "Expired" || s.reason == "Gone") throw GoneError(std::move(s));
  if (code == 422) throw InvalidError(std::move(s));
  if (code == 429) throw TooManyRequestsError(std::move(s));
  if (code == 400) throw BadRequestError(std::move(s));
  if (code == 401) throw UnauthorizedError(std::move(s));
  if (code == 403) throw ForbiddenError(std::move(s));
  if (code == 405) throw MethodNotAllowedError(std::move(s));
  if (code >= 500) throw ServerError(std::move(s));
  throw ApiError(std::move(s));
}

bool IsNotFound(const std::exception& e) {
  auto a = AsApi(e);
  return a && (a->code() == 404 || a->reason() == "NotFound");
}
bool IsConflict(const std::exception& e) {
  auto a = AsApi(e);
  return a && (a->reason() == "Conflict" || (a->code() == 409 && a->reason() != "AlreadyExists"));
}
bool IsAlreadyExists(const std::exception& e) {
  auto a = AsApi(e);
  return a && a->reason() == "AlreadyExists";
}
bool IsGone(const std::exception& e) {
  auto a = AsApi(e);
  return a && (a->code() == 410 || a->reason() == "Expired" || a->reason() == "Gone");
}
bool IsInvalid(const std::exception& e) {
  auto a = AsApi(e);
  return a && (a->code() == 422 || a->reason() == "Invalid");
}
bool IsForbidden(const std::exception& e) {
  auto a = AsApi(e);
  return a && (a->code() == 403 || a->reason() == "Forbidden");
}
bool IsTooManyRequests(const std::exception& e) {
  auto a = AsApi(e);
  return a && (a->code() == 429 || a->reason() == "TooManyRequests");
}
bool IsServerError(const std::exception& e) {
  auto a = AsApi(e);
  return a && a->code() >= 500;
}

}  // namespace tenant::kube
