#include "common/log/log.hpp"

#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cstdio>
#include <ctime>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>

namespace tenant::log {
namespace {

// The process-wide sink. spdlog only moves finished lines (pattern "%v"); the JSON
// envelope is built by FormatLine so every value is escaped by nlohmann::json.
struct State {
  std::mutex mu;
  std::shared_ptr<spdlog::logger> logger;
  std::string component = "tenant";
  std::atomic<Level> level{Level::kInfo};
};

State& GetState() {
  static State state;
  return state;
}

spdlog::level::level_enum ToSpd(Level level) {
  switch (level) {
    case Level::kTrace: return spdlog::level::trace;
    case Level::kDebug: return spdlog::level::debug;
    case Level::kInfo: return spdlog::level::info;
    case Level::kWarn: return spdlog::level::warn;
    case Level::kError: return spdlog::level::err;
    case Level::kOff: return spdlog::level::off;
  }
  return spdlog::level::info;
}

void Install(std::string_view component, Level level, spdlog::sink_ptr sink) {
  auto& st = GetState();
  auto logger = std::make_shared<spdlog::logger>(std::string(component), std::move(sink));
  logger->set_pattern("%v");
  logger->set_level(spdlog::level::trace);  // filtering happens in Enabled()
  logger->flush_on(spdlog::level::trace);   // one line per write; no lost lines on crash
  std::lock_guard lock(st.mu);
  st.logger = std::move(logger);
  st.component = std::string(component);
  st.level.store(level);
}

std::shared_ptr<spdlog::logger> CurrentLogger() {
  auto& st = GetState();
  std::lock_guard lock(st.mu);
  if (!st.logger) {
    // Not configured yet (early start-up, tests): JSON to stderr at info.
    auto logger = std::make_shared<spdlog::logger>(
        st.component, std::make_shared<spdlog::sinks::stderr_sink_mt>());
    logger->set_pattern("%v");
    logger->set_level(spdlog::level::trace);
    logger->flush_on(spdlog::level::trace);
    st.logger = logger;
  }
  return st.logger;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

bool IsReserved(std::string_view key) {
  return key == "ts" || key == "level" || key == "logger" || key == "msg";
}

template <typename Json>
void AddFields(Json& line, const Fields& fields) {
  for (const auto& [key, value] : fields) {
    const std::string k = IsReserved(key) ? "field." + key : key;
    if (IsSensitiveKey(key)) {
      line[k] = kRedacted;
    } else {
      line[k] = value;
    }
  }
}

}  // namespace

std::optional<Level> ParseLevel(std::string_view text) {
  const std::string t = Lower(text);
  if (t == "trace") return Level::kTrace;
  if (t == "debug") return Level::kDebug;
  if (t == "info") return Level::kInfo;
  if (t == "warn" || t == "warning") return Level::kWarn;
  if (t == "error") return Level::kError;
  if (t == "off") return Level::kOff;
  return std::nullopt;
}

std::string_view LevelName(Level level) {
  switch (level) {
    case Level::kTrace: return "trace";
    case Level::kDebug: return "debug";
    case Level::kInfo: return "info";
    case Level::kWarn: return "warn";
    case Level::kError: return "error";
    case Level::kOff: return "off";
  }
  return "info";
}

void Configure(std::string_view component, std::string_view level) {
  const auto parsed = ParseLevel(level);
  if (!parsed) {
    throw std::invalid_argument("unknown log level \"" + std::string(level) +
                                "\" (want trace, debug, info, warn, error or off)");
  }
  Install(component, *parsed, std::make_shared<spdlog::sinks::stderr_sink_mt>());
}

void ConfigureForStream(std::string_view component, Level level, std::ostream& out) {
  Install(component, level, std::make_shared<spdlog::sinks::ostream_sink_mt>(out, true));
}

void SetLevel(Level level) { GetState().level.store(level); }
Level GetLevel() { return GetState().level.load(); }
bool Enabled(Level level) {
  return level != Level::kOff && static_cast<int>(level) >= static_cast<int>(GetLevel());
}
void Flush() { CurrentLogger()->flush(); }

std::string FormatTimestamp(std::chrono::system_clock::time_point ts) {
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(ts.time_since_epoch()).count();
  std::time_t secs = static_cast<std::time_t>(ms / 1000);
  long frac = static_cast<long>(ms % 1000);
  if (frac < 0) {  // before 1970: keep the fraction positive
    frac += 1000;
    secs -= 1;
  }
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[96];  // generous: the compiler cannot bound tm_year
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, frac);
  return buf;
}

std::string FormatLine(std::chrono::system_clock::time_point ts, Level level,
                       std::string_view logger, std::string_view msg, const Fields& base,
                       const Fields& fields) {
  // nlohmann::ordered_json keeps ts/level/logger/msg first, as people read logs.
  nlohmann::ordered_json line;
  line["ts"] = FormatTimestamp(ts);
  line["level"] = LevelName(level);
  line["logger"] = logger;
  line["msg"] = msg;
  AddFields(line, base);
  AddFields(line, fields);
  // replace: invalid UTF-8 in a value becomes U+FFFD instead of an exception in a log call.
  return line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

Logger::Logger(std::string name, Fields base) : name_(std::move(name)), base_(std::move(base)) {}

Logger Logger::WithName(std::string_view name) const {
  return Logger(name_.empty() ? std::string(name) : name_ + "." + std::string(name), base_);
}

Logger Logger::WithValues(Fields fields) const {
  Fields merged = base_;
  for (auto& f : fields) merged.push_back(std::move(f));
  return Logger(name_, std::move(merged));
}

void Logger::Log(Level level, std::string_view msg, const Fields& fields) const {
  if (!Enabled(level)) return;
  auto logger = CurrentLogger();
  std::string component;
  if (name_.empty()) {
    component = logger->name();
  }
  const std::string line = FormatLine(std::chrono::system_clock::now(), level,
                                      name_.empty() ? component : name_, msg, base_, fields);
  logger->log(ToSpd(level), "{}", line);
}

void Trace(std::string_view msg, const Fields& fields) { Logger().Trace(msg, fields); }
void Debug(std::string_view msg, const Fields& fields) { Logger().Debug(msg, fields); }
void Info(std::string_view msg, const Fields& fields) { Logger().Info(msg, fields); }
void Warn(std::string_view msg, const Fields& fields) { Logger().Warn(msg, fields); }
void Error(std::string_view msg, const Fields& fields) { Logger().Error(msg, fields); }

}  // namespace tenant::log
