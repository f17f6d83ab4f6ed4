#pragma once
// Sentry envelopes, built purely (no I/O): DSN parsing, event construction, scrubbing.
#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace tenant::api::sentry {

struct Dsn {
  std::string scheme;      // http | https
  std::string public_key;
  std::string host;        // host[:port]
  std::string path_prefix; // "" or "/sub" when Sentry is served under a path
  std::string project_id;
  std::string original;

  // <scheme>://<host><prefix>/api/<project>/envelope/
  std::string EnvelopeUrl() const;
  // "Sentry sentry_version=7, sentry_key=<key>, sentry_client=tenant-api/<v>"
  std::string AuthHeader() const;
};
// https://<public_key>[:<secret>]@host[:port][/prefix]/<project_id>
std::optional<Dsn> ParseDsn(std::string_view dsn);

struct EventInput {
  std::string message;        // internal error text (scrubbed before sending)
  std::string exception_type; // e.g. "std::runtime_error", "HttpError", "DeadlineExceeded"
  int status = 500;
  std::string request_id;
  std::string method;
  std::string route;
  std::string path;
  std::vector<std::pair<std::string, std::string>> headers;  // request headers (scrubbed)
  std::string release;
  std::string environment;
  std::string tenant;
  std::chrono::system_clock::time_point timestamp = std::chrono::system_clock::now();
};

// 32 lowercase hex characters.
std::string NewEventId();
// Event payload (https://develop.sentry.dev/sdk/event-payloads/).
nlohmann::json BuildEvent(const EventInput& in, const std::string& event_id);
// Replaces values of sensitive keys (Authorization, Cookie, Set-Cookie, password, token,
// secret, dsn...) with "[Filtered]" recursively, and strips bearer tokens / URL passwords
// out of free text.
void Scrub(nlohmann::json& value);
std::string ScrubText(std::string_view text);
// Envelope: header line, item header line, payload line.
std::string BuildEnvelope(const nlohmann::json& event, const std::string& event_id, const Dsn& dsn);

}  // namespace tenant::api::sentry
