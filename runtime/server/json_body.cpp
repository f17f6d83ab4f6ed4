#include "runtime/server/json_body.hpp"

#include <algorithm>
#include <cctype>

namespace tenant::api::server {

namespace {

bool IsJsonContentType(std::string_view ct) {
  // "application/json" optionally followed by parameters ("; charset=utf-8").
  auto semi = ct.find(';');
  std::string_view media = ct.substr(0, semi);
  while (!media.empty() && std::isspace(static_cast<unsigned char>(media.back()))) media.remove_suffix(1);
  while (!media.empty() && std::isspace(static_cast<unsigned char>(media.front()))) media.remove_prefix(1);
  constexpr std::string_view kJson = "application/json";
  if (media.size() != kJson.size()) return false;
  for (std::size_t i = 0; i < kJson.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(media[i])) != kJson[i]) return false;
  }
  return true;
}

// Depth check during parsing via the SAX-style callback, so a hostile deeply nested body
// is rejected before it is built (nlohmann's recursive destructor would otherwise recurse).
class DepthGuard {
 public:
  explicit DepthGuard(int max) : max_(max) {}
  bool operator()(int depth, nlohmann::json::parse_event_t event, nlohmann::json&) {
    if (event == nlohmann::json::parse_event_t::object_start ||
        event == nlohmann::json::parse_event_t::array_start) {
      if (depth + 1 > max_) exceeded_ = true;
    }
    return !exceeded_;
  }
  bool exceeded() const { return exceeded_; }

 private:
  int max_;
  bool exceeded_ = false;
};

std::string Join(const std::string& prefix, const std::string& name) { return prefix + name; }

}  // namespace

int JsonDepth(const nlohmann::json& value) {
  if (!value.is_structured()) return 0;
  int deepest = 0;
  for (const auto& child : value) deepest = std::max(deepest, JsonDepth(child));
  return deepest + 1;
}

nlohmann::json ParseJsonText(std::string_view content_type, std::string_view body,
                             const JsonLimits& limits) {
  if (!content_type.empty() && !IsJsonContentType(content_type)) {
    throw UnsupportedMediaType("Content-Type must be application/json");
  }
  if (body.size() > limits.max_bytes) {
    throw PayloadTooLarge("The JSON body exceeds " + std::to_string(limits.max_bytes) + " bytes");
  }
  if (body.empty()) throw BadRequest("The request body must be a JSON document");
  DepthGuard guard(limits.max_depth);
  nlohmann::json value;
  try {
    value = nlohmann::json::parse(
        body.begin(), body.end(),
        [&guard](int depth, nlohmann::json::parse_event_t event, nlohmann::json& parsed) {
          return guard(depth, event, parsed);
        },
        /*allow_exceptions=*/true, /*ignore_comments=*/false);
  } catch (const nlohmann::json::parse_error& e) {
    // Position only: the parser message may quote body bytes.
    throw BadRequest("Malformed JSON at byte " + std::to_string(e.byte));
  } catch (const nlohmann::json::exception&) {
    // e.g. out_of_range for a number that overflows a double ("1e400"); found by fuzzing.
    throw BadRequest("Malformed JSON: a number is out of range");
  }
  if (guard.exceeded()) {
    throw ValidationFailed({{"", "JSON nesting deeper than " + std::to_string(limits.max_depth)}});
  }
  return value;
}

nlohmann::json ParseJsonBody(const Request& req, const JsonLimits& limits) {
  auto ct = req.Header("content-type");
  if (!ct) throw UnsupportedMediaType("Content-Type must be application/json");
  return ParseJsonText(*ct, req.body, limits);
}

JsonObject::JsonObject(const nlohmann::json& value, std::string prefix,
                       std::vector<FieldError>* shared_errors)
    : value_(value), prefix_(std::move(prefix)), errors_(shared_errors ? shared_errors : &own_errors_) {
  if (!value_.is_object()) {
    is_object_ = false;
    std::string where = prefix_.empty() ? "" : prefix_.substr(0, prefix_.size() - 1);
    errors_->push_back({where, "must be a JSON object"});
  }
}

void JsonObject::AddError(const std::string& field, std::string message) {
  errors_->push_back({Join(prefix_, field), std::move(message)});
}

const nlohmann::json* JsonObject::Field(const std::string& name, bool required, const char* type) {
  known_.insert(name);
  if (!is_object_) return nullptr;
  auto it = value_.find(name);
  if (it == value_.end() || it->is_null()) {
    if (required) AddError(name, "is required");
    return nullptr;
  }
  (void)type;
  return &*it;
}

std::optional<std::string> JsonObject::RequiredString(const std::string& name, StringRule rule) {
  const auto* v = Field(name, true, "string");
  if (!v) return std::nullopt;
  if (!v->is_string()) {
    AddError(name, "must be a string");
    return std::nullopt;
  }
  const auto& s = v->get_ref<const std::string&>();
  if (s.size() < rule.min_len) {
    AddError(name, rule.min_len == 1 ? "must not be empty"
                                     : "must be at least " + std::to_string(rule.min_len) + " characters");
    return std::nullopt;
  }
  if (s.size() > rule.max_len) {
    AddError(name, "must be at most " + std::to_string(rule.max_len) + " characters");
    return std::nullopt;
  }
  return s;
}

std::optional<std::string> JsonObject::OptionalString(const std::string& name, StringRule rule) {
  if (!is_object_ || !value_.contains(name) || value_[name].is_null()) {
    known_.insert(name);
    return std::nullopt;
  }
  return RequiredString(name, rule);
}

std::optional<std::int64_t> JsonObject::RequiredInt(const std::string& name, IntRule rule) {
  const auto* v = Field(name, true, "integer");
  if (!v) return std::nullopt;
  std::int64_t n = 0;
  if (v->is_number_integer()) {
    if (v->is_number_unsigned() && v->get<std::uint64_t>() > static_cast<std::uint64_t>(INT64_MAX)) {
      AddError(name, "is out of range");
      return std::nullopt;
    }
    n = v->get<std::int64_t>();
  } else {
    AddError(name, "must be an integer");
    return std::nullopt;
  }
  if (n < rule.min) {
    AddError(name, "must be >= " + std::to_string(rule.min));
    return std::nullopt;
  }
  if (n > rule.max) {
    AddError(name, "must be <= " + std::to_string(rule.max));
    return std::nullopt;
  }
  return n;
}

std::optional<std::int64_t> JsonObject::OptionalInt(const std::string& name, IntRule rule) {
  if (!is_object_ || !value_.contains(name) || value_[name].is_null()) {
    known_.insert(name);
    return std::nullopt;
  }
  return RequiredInt(name, rule);
}

std::optional<bool> JsonObject::RequiredBool(const std::string& name) {
  const auto* v = Field(name, true, "boolean");
  if (!v) return std::nullopt;
  if (!v->is_boolean()) {
    AddError(name, "must be a boolean");
    return std::nullopt;
  }
  return v->get<bool>();
}

std::optional<bool> JsonObject::OptionalBool(const std::string& name) {
  if (!is_object_ || !value_.contains(name) || value_[name].is_null()) {
    known_.insert(name);
    return std::nullopt;
  }
  return RequiredBool(name);
}

const nlohmann::json* JsonObject::RequiredArray(const std::string& name) {
  const auto* v = Field(name, true, "array");
  if (!v) return nullptr;
  if (!v->is_array()) {
    AddError(name, "must be an array");
    return nullptr;
  }
  return v;
}

const nlohmann::json* JsonObject::OptionalObject(const std::string& name) {
  if (!is_object_ || !value_.contains(name) || value_[name].is_null()) {
    known_.insert(name);
    return nullptr;
  }
  const auto* v = Field(name, false, "object");
  if (!v->is_object()) {
    AddError(name, "must be an object");
    return nullptr;
  }
  return v;
}

void JsonObject::CheckUnknown() {
  if (!is_object_) return;
  for (auto it = value_.begin(); it != value_.end(); ++it) {
    if (known_.count(it.key()) == 0) AddError(it.key(), "is not a known field");
  }
}

void JsonObject::Finish() {
  CheckUnknown();
  if (!errors_->empty()) throw ValidationFailed(*errors_);
}

}  // namespace tenant::api::server
