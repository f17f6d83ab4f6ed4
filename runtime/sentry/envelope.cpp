#include "runtime/sentry/envelope.hpp"

#include <algorithm>
#include <cctype>
#include <random>
#include <regex>

#include "common/log/log.hpp"

namespace tenant::api::sentry {

using nlohmann::json;

std::string Dsn::EnvelopeUrl() const {
  return scheme + "://" + host + path_prefix + "/api/" + project_id + "/envelope/";
}

std::string Dsn::AuthHeader() const {
  return "Sentry sentry_version=7, sentry_key=" + public_key + ", sentry_client=tenant-api/" + TENANT_VERSION;
}

std::optional<Dsn> ParseDsn(std::string_view text) {
  Dsn d;
  d.original = std::string(text);
  auto sep = text.find("://");
  if (sep == std::string_view::npos) return std::nullopt;
  d.scheme = std::string(text.substr(0, sep));
  if (d.scheme != "http" && d.scheme != "https") return std::nullopt;
  std::string_view rest = text.substr(sep + 3);
  auto at = rest.find('@');
  if (at == std::string_view::npos || at == 0) return std::nullopt;
  std::string_view userinfo = rest.substr(0, at);
  d.public_key = std::string(userinfo.substr(0, userinfo.find(':')));
  rest = rest.substr(at + 1);
  auto slash = rest.find('/');
  if (slash == std::string_view::npos || slash == 0) return std::nullopt;
  d.host = std::string(rest.substr(0, slash));
  std::string_view path = rest.substr(slash);  // "/prefix/123"
  auto last = path.rfind('/');
  d.project_id = std::string(path.substr(last + 1));
  d.path_prefix = std::string(path.substr(0, last));
  if (d.project_id.empty() || d.public_key.empty() ||
      !std::all_of(d.project_id.begin(), d.project_id.end(), [](unsigned char c) { return std::isalnum(c); })) {
    return std::nullopt;
  }
  return d;
}

std::string NewEventId() {
  std::random_device rd;
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (int i = 0; i < 8; ++i) {
    unsigned v = rd();
    for (int j = 0; j < 4; ++j) {
      out.push_back(kHex[v & 0xF]);
      v >>= 4;
    }
  }
  return out;
}

namespace {

bool IsSensitive(std::string_view key) {
  std::string l(key);
  std::transform(l.begin(), l.end(), l.begin(), [](unsigned char c) { return std::tolower(c); });
  return log::IsSensitiveKey(l) || l == "set-cookie" || l == "x-api-key" || l == "proxy-authorization";
}

}  // namespace

std::string ScrubText(std::string_view text) {
  std::string out = log::RedactUrl(text);
  // Bearer tokens and JWT-looking strings.
  static const std::regex kBearer(R"((Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+)", std::regex::icase);
  static const std::regex kJwt(R"(eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*)");
  static const std::regex kPassword(R"((password|passwd|secret|token)(["']?\s*[:=]\s*["']?)[^\s"',&]+)", std::regex::icase);
  out = std::regex_replace(out, kBearer, "$1 [Filtered]");
  out = std::regex_replace(out, kJwt, "[Filtered]");
  out = std::regex_replace(out, kPassword, "$1$2[Filtered]");
  return out;
}

void Scrub(json& value) {
  if (value.is_object()) {
    for (auto it = value.begin(); it != value.end(); ++it) {
      if (IsSensitive(it.key()) && !it.value().is_structured()) {
        it.value() = "[Filtered]";
      } else if (IsSensitive(it.key())) {
        it.value() = "[Filtered]";
      } else {
        Scrub(it.value());
      }
    }
  } else if (value.is_array()) {
    // Header lists are [name, value] pairs.
    if (value.size() == 2 && value[0].is_string() && value[1].is_string() &&
        IsSensitive(value[0].get<std::string>())) {
      value[1] = "[Filtered]";
      return;
    }
    for (auto& v : value) Scrub(v);
  } else if (value.is_string()) {
    value = ScrubText(value.get<std::string>());
  }
}

json BuildEvent(const EventInput& in, const std::string& event_id) {
  auto ts = std::chrono::duration<double>(in.timestamp.time_since_epoch()).count();
  json headers = json::object();
  for (const auto& [k, v] : in.headers) headers[k] = v;
  json event = {
      {"event_id", event_id},
      {"timestamp", ts},
      {"platform", "native"},
      {"level", in.status >= 500 ? "error" : "warning"},
      {"logger", "tenant-api"},
      {"server_name", "tenant-api"},
      {"release", in.release},
      {"environment", in.environment},
      {"transaction", in.method + " " + in.route},
      {"message", {{"formatted", in.message}}},
      {"exception",
       {{"values", json::array({{{"type", in.exception_type}, {"value", in.message},
                                 {"mechanism", {{"type", "generic"}, {"handled", in.status != 500}}}}})}}},
      {"tags",
       {{"request_id", in.request_id},
        {"route", in.route},
        {"tenant", in.tenant},
        {"status_code", std::to_string(in.status)}}},
      {"request", {{"method", in.method}, {"url", in.path}, {"headers", headers}}},
      {"contexts", {{"response", {{"status_code", in.status}}}}},
  };
  Scrub(event);
  return event;
}

std::string BuildEnvelope(const json& event, const std::string& event_id, const Dsn& dsn) {
  std::string payload = event.dump(-1, ' ', false, json::error_handler_t::replace);
  json header = {{"event_id", event_id}, {"dsn", dsn.original},
                 {"sent_at", log::FormatTimestamp(std::chrono::system_clock::now())}};
  json item = {{"type", "event"}, {"length", payload.size()}, {"content_type", "application/json"}};
  return header.dump() + "\n" + item.dump() + "\n" + payload + "\n";
}

}  // namespace tenant::api::sentry
