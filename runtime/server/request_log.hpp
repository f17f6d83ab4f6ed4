#pragma once
// Every log line written while a request is being handled carries its request_id (issue 5
// §3), also lines written deep below the handler (pool, rate limiter). The server installs
// the id for the thread that works on the request (RequestLogScope); code that may run
// under a request logs through RequestLog, which adds it. Work continued on another thread
// (the Redis pipeline's callbacks) captures CurrentRequestId() and installs it there again.
#include <string>
#include <string_view>

#include "common/log/log.hpp"

namespace tenant::api::server {

// The request id installed on this thread ("" outside a request).
const std::string& CurrentRequestId();

// Installs `request_id` for this thread until destruction, then restores the previous one
// (scopes nest: a request handled inline inside another scope is impossible, but cheap to
// get right).
class RequestLogScope {
 public:
  explicit RequestLogScope(std::string request_id);
  ~RequestLogScope();
  RequestLogScope(const RequestLogScope&) = delete;
  RequestLogScope& operator=(const RequestLogScope&) = delete;

 private:
  std::string previous_;
};

// `fields` plus {"request_id": CurrentRequestId()} when inside a request and not already set.
log::Fields WithRequestId(log::Fields fields);

// log::Info/Warn/Error/Debug with WithRequestId applied.
namespace request_log {
void Debug(std::string_view msg, const log::Fields& fields = {});
void Info(std::string_view msg, const log::Fields& fields = {});
void Warn(std::string_view msg, const log::Fields& fields = {});
void Error(std::string_view msg, const log::Fields& fields = {});
}  // namespace request_log

}  // namespace tenant::api::server
