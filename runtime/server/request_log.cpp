#include "runtime/server/request_log.hpp"

#include <algorithm>

namespace tenant::api::server {
namespace {

std::string& ThreadRequestId() {
  thread_local std::string id;
  return id;
}

}  // namespace

const std::string& CurrentRequestId() { return ThreadRequestId(); }

RequestLogScope::RequestLogScope(std::string request_id) : previous_(std::move(request_id)) {
  ThreadRequestId().swap(previous_);
}

RequestLogScope::~RequestLogScope() { ThreadRequestId().swap(previous_); }

log::Fields WithRequestId(log::Fields fields) {
  const std::string& id = ThreadRequestId();
  if (id.empty()) return fields;
  const bool has = std::any_of(fields.begin(), fields.end(), [](const log::Field& f) { return f.first == "request_id"; });
  if (!has) fields.emplace_back("request_id", id);
  return fields;
}

namespace request_log {
void Debug(std::string_view msg, const log::Fields& fields) {
  if (log::Enabled(log::Level::kDebug)) log::Debug(msg, WithRequestId(fields));
}
void Info(std::string_view msg, const log::Fields& fields) {
  if (log::Enabled(log::Level::kInfo)) log::Info(msg, WithRequestId(fields));
}
void Warn(std::string_view msg, const log::Fields& fields) { log::Warn(msg, WithRequestId(fields)); }
void Error(std::string_view msg, const log::Fields& fields) { log::Error(msg, WithRequestId(fields)); }
}  // namespace request_log

}  // namespace tenant::api::server
