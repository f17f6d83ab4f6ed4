#include <catch2/catch.hpp>

#include <sstream>

#include "runtime/sentry/envelope.hpp"

using namespace tenant::api::sentry;
using nlohmann::json;

TEST_CASE("DSNs parse into the envelope endpoint", "[sentry]") {
  auto d = ParseDsn("https://abc123@o1.ingest.sentry.io/4505");
  REQUIRE(d);
  CHECK(d->public_key == "abc123");
  CHECK(d->EnvelopeUrl() == "https://o1.ingest.sentry.io/api/4505/envelope/");
  CHECK(d->AuthHeader().find("sentry_key=abc123") != std::string::npos);
  auto local = ParseDsn("http://key:secret@127.0.0.1:9000/sub/7");
  REQUIRE(local);
  CHECK(local->EnvelopeUrl() == "http://127.0.0.1:9000/sub/api/7/envelope/");
  CHECK_FALSE(ParseDsn("ftp://k@h/1"));
  CHECK_FALSE(ParseDsn("https://host/1"));
  CHECK_FALSE(ParseDsn("https://k@host/"));
}

TEST_CASE("events carry request context and are scrubbed", "[sentry]") {
  EventInput in;
  in.message = "query failed: password=hunter2 for postgresql://app:dbpw@db/x token=eyJhbGciOi.eyJzdWIi.c2ln";
  in.exception_type = "UnhandledError";
  in.status = 500;
  in.request_id = "rid-9";
  in.method = "POST";
  in.route = "/api/v1/orders";
  in.path = "/api/v1/orders";
  in.headers = {{"authorization", "Bearer eyJhbGciOi.eyJzdWIi.c2ln"}, {"cookie", "session=abc"},
                {"x-request-id", "rid-9"}, {"content-type", "application/json"}};
  in.release = "tenant-api@0.1.0";
  in.environment = "production";
  in.tenant = "acme";
  auto id = NewEventId();
  CHECK(id.size() == 32);
  auto event = BuildEvent(in, id);
  std::string text = event.dump();
  CHECK(text.find("hunter2") == std::string::npos);
  CHECK(text.find("dbpw") == std::string::npos);
  CHECK(text.find("eyJhbGciOi") == std::string::npos);
  CHECK(text.find("session=abc") == std::string::npos);
  CHECK(event["request"]["headers"]["authorization"] == "[Filtered]");
  CHECK(event["request"]["headers"]["cookie"] == "[Filtered]");
  CHECK(event["request"]["headers"]["content-type"] == "application/json");
  CHECK(event["tags"]["request_id"] == "rid-9");
  CHECK(event["tags"]["route"] == "/api/v1/orders");
  CHECK(event["tags"]["tenant"] == "acme");
  CHECK(event["release"] == "tenant-api@0.1.0");
  CHECK(event["environment"] == "production");
  CHECK(event["event_id"] == id);
}

TEST_CASE("envelopes are three JSON lines with a correct length", "[sentry]") {
  auto dsn = *ParseDsn("https://k@sentry.example.com/1");
  json event = {{"event_id", "00"}, {"message", "é"}};
  std::string env = BuildEnvelope(event, "00", dsn);
  std::istringstream in(env);
  std::string header, item, payload;
  std::getline(in, header);
  std::getline(in, item);
  std::getline(in, payload);
  auto h = json::parse(header);
  auto i = json::parse(item);
  CHECK(h["event_id"] == "00");
  CHECK(h.contains("sent_at"));
  CHECK(i["type"] == "event");
  CHECK(i["length"] == payload.size());
  CHECK(json::parse(payload) == event);
}
