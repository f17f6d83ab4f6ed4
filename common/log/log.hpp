#pragma once

#include <chrono>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace tenant::log {

// Structured logging in the Kubernetes style: a short capitalised message without a
// trailing period ("Created Deployment") plus key/value fields, written by spdlog as one
// JSON object per line to stderr:
//   {"ts":"2026-11-29T04:41:07.123Z","level":"info","logger":"tenant-operator",
//    "msg":"Created Deployment","namespace":"acme","name":"acme-api"}
// Every value is JSON-escaped by nlohmann::json (invalid UTF-8 is replaced, never thrown).
// Fields whose key looks secret (see IsSensitiveKey) are written as "<redacted>".
//
//   log::Info("Created Deployment", {{"namespace", ns}, {"name", name}, {"replicas", 2}});
//   auto l = log::Logger("reconciler").WithValues({{"tenant", key}});
//   l.Error("Reconcile failed", {{"error", e.what()}});

enum class Level { kTrace, kDebug, kInfo, kWarn, kError, kOff };

using Field = std::pair<std::string, nlohmann::json>;
using Fields = std::vector<Field>;

// "trace", "debug", "info", "warn"/"warning", "error", "off" (case-insensitive).
std::optional<Level> ParseLevel(std::string_view text);
std::string_view LevelName(Level level);

// Installs the process-wide JSON logger on stderr. `component` is the default "logger"
// value (e.g. "tenant-operator"). Throws std::invalid_argument for an unknown level.
void Configure(std::string_view component, std::string_view level);
// Same, writing to `out` instead of stderr (tests). `out` must outlive logging.
void ConfigureForStream(std::string_view component, Level level, std::ostream& out);
void SetLevel(Level level);
Level GetLevel();
bool Enabled(Level level);
// Flushes pending output (e.g. before exit).
void Flush();

class Logger {
 public:
  // Empty name = the component given to Configure.
  explicit Logger(std::string name = {}, Fields base = {});

  Logger WithName(std::string_view name) const;   // "parent.child"
  Logger WithValues(Fields fields) const;          // fields added to every line

  void Log(Level level, std::string_view msg, const Fields& fields = {}) const;
  void Trace(std::string_view msg, const Fields& f = {}) const { Log(Level::kTrace, msg, f); }
  void Debug(std::string_view msg, const Fields& f = {}) const { Log(Level::kDebug, msg, f); }
  void Info(std::string_view msg, const Fields& f = {}) const { Log(Level::kInfo, msg, f); }
  void Warn(std::string_view msg, const Fields& f = {}) const { Log(Level::kWarn, msg, f); }
  void Error(std::string_view msg, const Fields& f = {}) const { Log(Level::kError, msg, f); }

  const std::string& name() const noexcept { return name_; }

 private:
  std::string name_;
  Fields base_;
};

// Process-wide logger shortcuts.
void Trace(std::string_view msg, const Fields& fields = {});
void Debug(std::string_view msg, const Fields& fields = {});
void Info(std::string_view msg, const Fields& fields = {});
void Warn(std::string_view msg, const Fields& fields = {});
void Error(std::string_view msg, const Fields& fields = {});

// Pure: one log line (no trailing newline). Reserved keys ts/level/logger/msg in fields
// are renamed to "field.<key>" so they cannot forge the envelope; sensitive keys redacted.
std::string FormatLine(std::chrono::system_clock::time_point ts, Level level,
                       std::string_view logger, std::string_view msg, const Fields& base,
                       const Fields& fields);

// Appends `s` as a JSON string literal: quotes, backslashes and control characters escaped,
// invalid UTF-8 bytes replaced by U+FFFD (a log line must always be valid JSON).
void AppendJsonString(std::string& out, std::string_view s);

// RFC 3339 UTC with milliseconds: 2026-11-29T04:41:07.123Z.
std::string FormatTimestamp(std::chrono::system_clock::time_point ts);

// ---- redaction -------------------------------------------------------------------------

inline constexpr std::string_view kRedacted = "<redacted>";

// True for keys that name secrets: password, passwd, secret, token, authorization, cookie,
// api_key/apikey, private_key, dsn, database_url, credentials (case-insensitive, substring).
bool IsSensitiveKey(std::string_view key);

// Removes the password from a URL's userinfo ("postgresql://u:pw@h/db" ->
// "postgresql://u:<redacted>@h/db"; "redis://:pw@h" likewise) and the value of query
// parameters named password/token/secret. Other text is returned unchanged.
std::string RedactUrl(std::string_view url);

// Replaces every occurrence of each non-empty `secret` in `text` by "<redacted>", for
// messages that may echo a known secret (e.g. error text from a library).
std::string RedactSecrets(std::string_view text, const std::vector<std::string_view>& secrets);

}  // namespace tenant::log
