#include "common/log/log.hpp"

#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdint>
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

// Length of the valid UTF-8 sequence starting at p (a byte >= 0x80), or 0 if invalid
// (bad lead, truncated, bad continuation, overlong, surrogate, > U+10FFFF).
std::size_t Utf8SequenceLength(const unsigned char* p, const unsigned char* end) {
  const unsigned char c = *p;
  std::size_t len;
  char32_t cp;
  if ((c & 0xE0) == 0xC0) {
    len = 2;
    cp = c & 0x1F;
  } else if ((c & 0xF0) == 0xE0) {
    len = 3;
    cp = c & 0x0F;
  } else if ((c & 0xF8) == 0xF0) {
    len = 4;
    cp = c & 0x07;
  } else {
    return 0;
  }
  if (static_cast<std::size_t>(end - p) < len) return 0;
  for (std::size_t i = 1; i < len; ++i) {
    if ((p[i] & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (p[i] & 0x3F);
  }
  static constexpr char32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < kMin[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return len;
}

// Numbers and booleans without going through the serializer (common in request logs).
void AppendScalar(std::string& out, const nlohmann::json& v) {
  if (v.is_boolean()) {
    out += v.get<bool>() ? "true" : "false";
    return;
  }
  if (v.is_number_float() && !std::isfinite(v.get<double>())) {
    out += "null";  // JSON has no NaN/Infinity (nlohmann writes null too)
    return;
  }
  char buf[40];
  const auto [ptr, ec] =
      v.is_number_float()      ? std::to_chars(buf, buf + sizeof buf, v.get<double>())
      : v.is_number_unsigned() ? std::to_chars(buf, buf + sizeof buf, v.get<std::uint64_t>())
                               : std::to_chars(buf, buf + sizeof buf, v.get<std::int64_t>());
  out.append(buf, ec == std::errc() ? ptr : buf);
}

bool IsReserved(std::string_view key) {
  return key == "ts" || key == "level" || key == "logger" || key == "msg";
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
  // Calendar arithmetic instead of gmtime_r + snprintf: this runs for every log line.
  using namespace std::chrono;
  const auto ms = floor<milliseconds>(ts);
  const auto day = floor<days>(ms);
  const year_month_day ymd{day};
  const hh_mm_ss<milliseconds> hms{ms - day};
  char buf[32];
  auto put = [&buf](int pos, unsigned value, int width) {
    for (int i = width - 1; i >= 0; --i, value /= 10) buf[pos + i] = static_cast<char>('0' + value % 10);
  };
  const int y = static_cast<int>(ymd.year());
  put(0, static_cast<unsigned>(y < 0 ? 0 : y % 10000), 4);
  buf[4] = '-';
  put(5, static_cast<unsigned>(ymd.month()), 2);
  buf[7] = '-';
  put(8, static_cast<unsigned>(ymd.day()), 2);
  buf[10] = 'T';
  put(11, static_cast<unsigned>(hms.hours().count()), 2);
  buf[13] = ':';
  put(14, static_cast<unsigned>(hms.minutes().count()), 2);
  buf[16] = ':';
  put(17, static_cast<unsigned>(hms.seconds().count()), 2);
  buf[19] = '.';
  put(20, static_cast<unsigned>(hms.subseconds().count()), 3);
  buf[23] = 'Z';
  return std::string(buf, 24);
}

std::string FormatLine(std::chrono::system_clock::time_point ts, Level level,
                       std::string_view logger, std::string_view msg, const Fields& base,
                       const Fields& fields) {
  // Built by hand (not through a json object) because this runs once per request in
  // tenant-api; every string goes through AppendJsonString, other values through
  // nlohmann's serializer. Envelope first, then base fields, then call-site fields.
  std::string out;
  out.reserve(160 + msg.size() + 48 * (base.size() + fields.size()));
  out += "{\"ts\":\"";
  out += FormatTimestamp(ts);
  out += "\",\"level\":\"";
  out += LevelName(level);
  out += "\",\"logger\":";
  AppendJsonString(out, logger);
  out += ",\"msg\":";
  AppendJsonString(out, msg);
  auto append = [&out](const Field& f) {
    out.push_back(',');
    if (IsReserved(f.first)) {
      AppendJsonString(out, "field." + f.first);
    } else {
      AppendJsonString(out, f.first);
    }
    out.push_back(':');
    if (IsSensitiveKey(f.first)) {
      AppendJsonString(out, kRedacted);
    } else if (f.second.is_string()) {
      AppendJsonString(out, f.second.get_ref<const std::string&>());
    } else if (f.second.is_number() || f.second.is_boolean()) {
      AppendScalar(out, f.second);
    } else {
      // replace: invalid UTF-8 inside nested values becomes U+FFFD instead of throwing.
      out += f.second.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    }
  };
  for (const auto& f : base) {
    // A call-site field overrides a base field of the same key (no duplicate keys).
    const bool overridden = std::any_of(fields.begin(), fields.end(),
                                        [&](const Field& g) { return g.first == f.first; });
    if (!overridden) append(f);
  }
  for (const auto& f : fields) append(f);
  out.push_back('}');
  return out;
}

void AppendJsonString(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out.push_back('"');
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const auto* end = p + s.size();
  while (p < end) {
    const unsigned char c = *p;
    if (c < 0x80) {
      switch (c) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        case '\b': out += "\\b"; break;
        case '\f': out += "\\f"; break;
        default:
          if (c < 0x20) {
            out += "\\u00";
            out.push_back(kHex[c >> 4]);
            out.push_back(kHex[c & 0xF]);
          } else {
            out.push_back(static_cast<char>(c));
          }
      }
      ++p;
      continue;
    }
    const std::size_t len = Utf8SequenceLength(p, end);
    if (len == 0) {
      out += "\xef\xbf\xbd";  // U+FFFD for each invalid byte
      ++p;
    } else {
      out.append(reinterpret_cast<const char*>(p), len);
      p += len;
    }
  }
  out.push_back('"');
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
  logger->log(ToSpd(level), spdlog::string_view_t(line.data(), line.size()));  // no fmt pass
}

void Trace(std::string_view msg, const Fields& fields) { Logger().Trace(msg, fields); }
void Debug(std::string_view msg, const Fields& fields) { Logger().Debug(msg, fields); }
void Info(std::string_view msg, const Fields& fields) { Logger().Info(msg, fields); }
void Warn(std::string_view msg, const Fields& fields) { Logger().Warn(msg, fields); }
void Error(std::string_view msg, const Fields& fields) { Logger().Error(msg, fields); }

}  // namespace tenant::log
