#pragma once
// The single place where errors become RFC 9457 application/problem+json responses.
#include <string>

#include "runtime/server/http_error.hpp"
#include "runtime/server/response.hpp"

namespace tenant::api::server {

inline constexpr const char* kProblemContentType = "application/problem+json";

// Pure: the problem document for `error` answered to `request_id` (`instance` = path).
nlohmann::json ProblemBody(const HttpError& error, const std::string& request_id,
                           const std::string& instance);
Response ProblemResponse(const HttpError& error, const std::string& request_id,
                         const std::string& instance);

}  // namespace tenant::api::server
