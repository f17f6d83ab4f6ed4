#include <catch2/catch.hpp>

#include <stdexcept>
#include <string>

#include "common/pg/conninfo.hpp"

using tenant::pg::ConnInfoBuilder;
using tenant::pg::ParseConnInfo;
using tenant::pg::QuoteConnInfoValue;
using tenant::pg::RedactConnInfo;

TEST_CASE("conninfo values are quoted and escaped", "[pg][conninfo]") {
  CHECK(QuoteConnInfoValue("") == "''");
  CHECK(QuoteConnInfoValue("abc") == "'abc'");
  CHECK(QuoteConnInfoValue("a b") == "'a b'");
  CHECK(QuoteConnInfoValue("it's") == "'it\\'s'");
  CHECK(QuoteConnInfoValue("back\\slash") == "'back\\\\slash'");
}

TEST_CASE("the builder's output parses back to exactly the values given", "[pg][conninfo]") {
  const std::string nasty = "p'a ss\\w=rd \"x\" host=evil ü";
  const std::string conninfo = ConnInfoBuilder()
                                   .Host("db.example")
                                   .Port(6543)
                                   .DbName("erp_tenant_acme")
                                   .User("erp_tenant_acme_a")
                                   .Password(nasty)
                                   .SslMode("verify-full")
                                   .SslRootCert("/etc/ssl/my ca's/ca.crt")
                                   .ApplicationName("tenant-operator")
                                   .ConnectTimeoutSeconds(5)
                                   .Build();
  const auto parsed = ParseConnInfo(conninfo);
  CHECK(parsed.at("host") == "db.example");
  CHECK(parsed.at("port") == "6543");
  CHECK(parsed.at("dbname") == "erp_tenant_acme");
  CHECK(parsed.at("user") == "erp_tenant_acme_a");
  CHECK(parsed.at("password") == nasty);  // injection attempt stayed inside the value
  CHECK(parsed.at("sslmode") == "verify-full");
  CHECK(parsed.at("sslrootcert") == "/etc/ssl/my ca's/ca.crt");
  CHECK(parsed.at("connect_timeout") == "5");
  CHECK(parsed.count("hostaddr") == 0);
}

TEST_CASE("Set overrides in place and Unset removes", "[pg][conninfo]") {
  ConnInfoBuilder b;
  b.Host("a").User("u").Host("b").Unset("user");
  CHECK(b.Build() == "host='b'");
  CHECK(b.Get("host") == std::optional<std::string>("b"));
  CHECK_FALSE(b.Get("user").has_value());
}

TEST_CASE("From parses key=value strings and URIs, later setters override", "[pg][conninfo]") {
  auto b = ConnInfoBuilder::From("postgresql://app:s3cr%40t@db.svc:5433/erp?sslmode=require");
  CHECK(b.Get("host") == std::optional<std::string>("db.svc"));
  CHECK(b.Get("port") == std::optional<std::string>("5433"));
  CHECK(b.Get("password") == std::optional<std::string>("s3cr@t"));
  b.SslMode("verify-full");
  CHECK(ParseConnInfo(b.Build()).at("sslmode") == "verify-full");
  CHECK_THROWS_AS(ConnInfoBuilder::From("host='unterminated"), std::invalid_argument);
}

TEST_CASE("redaction never shows the password", "[pg][conninfo][redact]") {
  const std::string secret = "hunter2'\\x";
  const auto built = ConnInfoBuilder().Host("h").User("u").Password(secret).Build();
  const auto redacted = ConnInfoBuilder().Host("h").User("u").Password(secret).BuildRedacted();
  CHECK(redacted.find("hunter2") == std::string::npos);
  CHECK(redacted.find("<redacted>") != std::string::npos);
  CHECK(RedactConnInfo(built).find("hunter2") == std::string::npos);
  CHECK(RedactConnInfo(built).find("host='h'") != std::string::npos);
  const auto uri = RedactConnInfo("postgresql://app:hunter2@db:5432/erp?sslmode=verify-full");
  CHECK(uri.find("hunter2") == std::string::npos);
  CHECK(uri.find("sslmode='verify-full'") != std::string::npos);
  // Unparseable input is never echoed (it could be a password).
  CHECK(RedactConnInfo("password='hunter2") == "<unparseable conninfo>");
}

TEST_CASE("parse errors do not echo the input", "[pg][conninfo]") {
  try {
    ParseConnInfo("password=hunter2 bogus_keyword=1");
    FAIL("expected std::invalid_argument");
  } catch (const std::invalid_argument& e) {
    CHECK(std::string(e.what()).find("hunter2") == std::string::npos);
  }
}
