#pragma once
// JSON request-body validation helpers. Every problem is collected and reported at once
// (422 with errors[]), unknown fields are rejected, depth/size are limited.
//
//   auto body = server::ParseJsonBody(req);              // 400/413/415 on bad input
//   server::JsonObject in(body);
//   auto sku   = in.RequiredString("sku", {.min_len = 1, .max_len = 64});
//   auto price = in.RequiredInt("unit_price_minor", {.min = 0});
//   auto note  = in.OptionalString("note");
//   in.Finish();   // throws ValidationFailed listing every error, incl. unknown fields
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "runtime/server/http_error.hpp"
#include "runtime/server/request.hpp"

namespace tenant::api::server {

struct JsonLimits {
  std::size_t max_bytes = 1 << 20;  // 1 MiB (the server already rejects bigger bodies with 413)
  int max_depth = 16;
};

// Checks Content-Type is application/json (415 otherwise), parses (400 on syntax error,
// 413 over max_bytes, 422 over max_depth) and returns the value. Pure: no I/O.
nlohmann::json ParseJsonBody(const Request& req, const JsonLimits& limits = {});
// Same on a raw string (fuzz target entry point). content_type may be empty = not checked.
nlohmann::json ParseJsonText(std::string_view content_type, std::string_view body,
                             const JsonLimits& limits = {});
// Nesting depth of a parsed value (scalars are depth 0).
int JsonDepth(const nlohmann::json& value);

struct StringRule {
  std::size_t min_len = 0;
  std::size_t max_len = 1024;
};
struct IntRule {
  std::int64_t min = INT64_MIN;
  std::int64_t max = INT64_MAX;
};

// Reads fields of one JSON object, collecting errors instead of throwing on the first one.
// Field names in errors are prefixed with `prefix` ("lines[0].").
class JsonObject {
 public:
  explicit JsonObject(const nlohmann::json& value, std::string prefix = {},
                      std::vector<FieldError>* shared_errors = nullptr);

  std::optional<std::string> RequiredString(const std::string& name, StringRule rule = {});
  std::optional<std::string> OptionalString(const std::string& name, StringRule rule = {});
  std::optional<std::int64_t> RequiredInt(const std::string& name, IntRule rule = {});
  std::optional<std::int64_t> OptionalInt(const std::string& name, IntRule rule = {});
  std::optional<bool> RequiredBool(const std::string& name);
  std::optional<bool> OptionalBool(const std::string& name);
  // Raw access for arrays/objects (marks the field as known). nullptr when absent/wrong type
  // (an error is recorded when required).
  const nlohmann::json* RequiredArray(const std::string& name);
  const nlohmann::json* OptionalObject(const std::string& name);

  void AddError(const std::string& field, std::string message);
  const std::vector<FieldError>& errors() const { return *errors_; }
  std::vector<FieldError>& mutable_errors() { return *errors_; }
  const std::string& prefix() const { return prefix_; }

  // Records every field not read as "unknown field"; throws ValidationFailed(errors) if
  // any error was collected (including nested JsonObjects sharing this error list).
  void Finish();
  // Records unknown fields without throwing (for nested objects sharing the error list).
  void CheckUnknown();

 private:
  const nlohmann::json* Field(const std::string& name, bool required, const char* type);
  const nlohmann::json& value_;
  std::string prefix_;
  std::vector<FieldError> own_errors_;
  std::vector<FieldError>* errors_;
  std::set<std::string> known_;
  bool is_object_ = true;
};

}  // namespace tenant::api::server
