#include <catch2/catch.hpp>

#include <chrono>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "common/log/log.hpp"

namespace tlog = tenant::log;
using nlohmann::json;

namespace {

std::chrono::system_clock::time_point At(long long ms) {
  return std::chrono::system_clock::time_point(std::chrono::milliseconds(ms));
}

std::vector<json> Lines(const std::string& text) {
  std::vector<json> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(json::parse(line));
  return out;
}

}  // namespace

TEST_CASE("FormatLine builds one JSON object with the envelope first", "[log]") {
  const auto line = tlog::FormatLine(At(1'700'000'000'123), tlog::Level::kInfo, "tenant-operator",
                                    "Created Deployment", {},
                                    {{"namespace", "acme"}, {"name", "acme-api"}, {"replicas", 2}});
  CHECK(line ==
        R"({"ts":"2023-11-14T22:13:20.123Z","level":"info","logger":"tenant-operator",)"
        R"("msg":"Created Deployment","namespace":"acme","name":"acme-api","replicas":2})");
  CHECK(line.find('\n') == std::string::npos);
}

TEST_CASE("every value is JSON-escaped", "[log][escape]") {
  const std::string evil = "quote\" backslash\\ newline\n tab\t ctrl\x01 end";
  const auto line = tlog::FormatLine(At(0), tlog::Level::kError, "l\"ogger", "msg with \"quotes\"\n",
                                    {}, {{"value", evil}, {"ke\"y", "x"}, {"unicode", "ü€😀"}});
  CHECK(line.find('\n') == std::string::npos);  // one line, always
  const auto parsed = json::parse(line);
  CHECK(parsed["value"] == evil);
  CHECK(parsed["ke\"y"] == "x");
  CHECK(parsed["unicode"] == "ü€😀");
  CHECK(parsed["logger"] == "l\"ogger");
  CHECK(parsed["msg"] == "msg with \"quotes\"\n");
  CHECK(line.find("\\u0001") != std::string::npos);
}

TEST_CASE("invalid UTF-8 is replaced instead of throwing", "[log][escape]") {
  std::string line;
  REQUIRE_NOTHROW(line = tlog::FormatLine(At(0), tlog::Level::kInfo, "l", "bad \xff\xfe bytes", {},
                                         {{"v", "x\xc3"}}));
  const auto parsed = json::parse(line);
  CHECK(parsed["msg"].get<std::string>().find("\xef\xbf\xbd") != std::string::npos);  // U+FFFD
}

TEST_CASE("fields cannot forge the envelope", "[log]") {
  const auto parsed = json::parse(tlog::FormatLine(At(0), tlog::Level::kInfo, "real", "real msg", {},
                                                  {{"level", "debug"}, {"msg", "fake"}}));
  CHECK(parsed["level"] == "info");
  CHECK(parsed["msg"] == "real msg");
  CHECK(parsed["field.level"] == "debug");
  CHECK(parsed["field.msg"] == "fake");
}

TEST_CASE("sensitive keys are redacted in log lines", "[log][redact]") {
  const auto parsed = json::parse(tlog::FormatLine(
      At(0), tlog::Level::kInfo, "l", "Connecting", {{"db_password", "p1"}},
      {{"password", "p2"}, {"Authorization", "Bearer abc"}, {"DATABASE_URL", "postgres://u:p@h"},
       {"jwt_signing_key", "k"}, {"refresh_token", "t"}, {"user", "alice"}}));
  for (const char* key : {"db_password", "password", "Authorization", "DATABASE_URL",
                          "jwt_signing_key", "refresh_token"}) {
    INFO(key);
    CHECK(parsed[key] == "<redacted>");
  }
  CHECK(parsed["user"] == "alice");
}

TEST_CASE("IsSensitiveKey", "[log][redact]") {
  CHECK(tlog::IsSensitiveKey("password"));
  CHECK(tlog::IsSensitiveKey("PGPASSWORD"));
  CHECK(tlog::IsSensitiveKey("client_secret"));
  CHECK(tlog::IsSensitiveKey("Cookie"));
  CHECK(tlog::IsSensitiveKey("sentry_dsn"));
  CHECK_FALSE(tlog::IsSensitiveKey("name"));
  CHECK_FALSE(tlog::IsSensitiveKey("request_id"));
  CHECK_FALSE(tlog::IsSensitiveKey("duration_ms"));
}

TEST_CASE("RedactUrl removes userinfo passwords and secret query values", "[log][redact]") {
  CHECK(tlog::RedactUrl("postgresql://app:hunter2@db:5432/erp?sslmode=require") ==
        "postgresql://app:<redacted>@db:5432/erp?sslmode=require");
  CHECK(tlog::RedactUrl("redis://:pw@127.0.0.1:6379/0") == "redis://:<redacted>@127.0.0.1:6379/0");
  CHECK(tlog::RedactUrl("postgresql://app@db/erp") == "postgresql://app@db/erp");
  CHECK(tlog::RedactUrl("postgresql://db/erp?user=a&password=hunter2&sslmode=require") ==
        "postgresql://db/erp?user=a&password=<redacted>&sslmode=require");
  CHECK(tlog::RedactUrl("https://h/x?token=abc") == "https://h/x?token=<redacted>");
  CHECK(tlog::RedactUrl("plain text") == "plain text");
  // '@' inside the password (percent-encoding forgotten) still hides all of it.
  CHECK(tlog::RedactUrl("postgresql://u:p@ss@h/db") == "postgresql://u:<redacted>@h/db");
}

TEST_CASE("RedactSecrets replaces every occurrence", "[log][redact]") {
  CHECK(tlog::RedactSecrets("pw=abc and abc again", {"abc", ""}) ==
        "pw=<redacted> and <redacted> again");
  CHECK(tlog::RedactSecrets("nothing", {"abc"}) == "nothing");
}

TEST_CASE("levels parse from strings", "[log]") {
  CHECK(tlog::ParseLevel("debug") == tlog::Level::kDebug);
  CHECK(tlog::ParseLevel("INFO") == tlog::Level::kInfo);
  CHECK(tlog::ParseLevel("warning") == tlog::Level::kWarn);
  CHECK(tlog::ParseLevel("Error") == tlog::Level::kError);
  CHECK_FALSE(tlog::ParseLevel("verbose").has_value());
  CHECK(tlog::LevelName(tlog::Level::kWarn) == "warn");
  CHECK_THROWS_AS(tlog::Configure("x", "loud"), std::invalid_argument);
}

TEST_CASE("the configured logger writes filtered JSON lines", "[log]") {
  std::ostringstream out;
  tlog::ConfigureForStream("tenant-api", tlog::Level::kInfo, out);
  tlog::Debug("Hidden");
  tlog::Info("Started server", {{"port", 8080}});
  tlog::Logger("reconciler").WithValues({{"tenant", "acme"}}).WithName("db").Warn(
      "Retrying", {{"attempt", 3}});
  tlog::SetLevel(tlog::Level::kError);
  tlog::Warn("Hidden too");
  tlog::Error("Failed", {{"error", "boom"}, {"password", "p"}});
  tlog::Flush();
  const auto lines = Lines(out.str());
  REQUIRE(lines.size() == 3);
  CHECK(lines[0]["msg"] == "Started server");
  CHECK(lines[0]["logger"] == "tenant-api");
  CHECK(lines[0]["port"] == 8080);
  CHECK(lines[1]["logger"] == "reconciler.db");
  CHECK(lines[1]["level"] == "warn");
  CHECK(lines[1]["tenant"] == "acme");
  CHECK(lines[1]["attempt"] == 3);
  CHECK(lines[2]["level"] == "error");
  CHECK(lines[2]["password"] == "<redacted>");
  CHECK(out.str().find("\"p\"") == std::string::npos);
  tlog::Configure("tests", "info");  // back to stderr before `out` goes away
}

TEST_CASE("timestamps are RFC 3339 UTC with milliseconds", "[log]") {
  CHECK(tlog::FormatTimestamp(At(0)) == "1970-01-01T00:00:00.000Z");
  CHECK(tlog::FormatTimestamp(At(1'764'390'000'007)) == "2025-11-29T04:20:00.007Z");
}

TEST_CASE("AppendJsonString round-trips valid text and always yields valid JSON", "[log][escape]") {
  auto encode = [](std::string_view s) {
    std::string out;
    tlog::AppendJsonString(out, s);
    return out;
  };
  CHECK(encode("plain") == "\"plain\"");
  CHECK(encode("a\"b\\c\n\r\t\b\f") == R"("a\"b\\c\n\r\t\b\f")");
  CHECK(encode(std::string("\x01\x1f\x7f", 3)) == "\"\\u0001\\u001f\x7f\"");
  CHECK(encode(std::string("nul\0in", 6)) == "\"nul\\u0000in\"");
  CHECK(encode("ü€😀") == "\"ü€😀\"");
  CHECK(encode("\xff") == "\"\xef\xbf\xbd\"");
  CHECK(encode("\xed\xa0\x80") == "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"");  // surrogate
  // Random byte strings: the output always parses; valid UTF-8 comes back unchanged.
  std::mt19937 rng(12345);
  std::uniform_int_distribution<int> byte(0, 255);
  std::uniform_int_distribution<int> length(0, 40);
  for (int i = 0; i < 5000; ++i) {
    std::string s(static_cast<std::size_t>(length(rng)), '\0');
    for (auto& c : s) c = static_cast<char>(byte(rng));
    const auto out = encode(s);
    INFO("case " << i);
    json parsed;
    REQUIRE_NOTHROW(parsed = json::parse(out));
    const auto back = parsed.get<std::string>();
    // nlohmann's own strict serializer accepts exactly the valid UTF-8 inputs.
    bool valid = true;
    try {
      (void)json(s).dump();
    } catch (const json::type_error&) {
      valid = false;
    }
    if (valid) CHECK(back == s);
    CHECK_NOTHROW(json(back).dump());  // what we wrote is valid UTF-8
  }
}

TEST_CASE("call-site fields override base fields without duplicate keys", "[log]") {
  const auto line = tlog::FormatLine(At(0), tlog::Level::kInfo, "l", "m",
                                     {{"tenant", "a"}, {"step", "base"}}, {{"step", "call"}});
  CHECK(line.find("\"step\"") == line.rfind("\"step\""));  // exactly once
  const auto parsed = json::parse(line);
  CHECK(parsed["step"] == "call");
  CHECK(parsed["tenant"] == "a");
}
