#include <catch2/catch.hpp>

#include <stdexcept>
#include <string>

#include "common/pg/quote.hpp"

using tenant::pg::IsValidUtf8;
using tenant::pg::QuoteIdentifier;
using tenant::pg::QuoteLiteral;

TEST_CASE("QuoteIdentifier wraps in double quotes and doubles inner quotes", "[pg][quote]") {
  CHECK(QuoteIdentifier("erp_tenant_acme") == "\"erp_tenant_acme\"");
  CHECK(QuoteIdentifier("MixedCase") == "\"MixedCase\"");
  CHECK(QuoteIdentifier("a\"b") == "\"a\"\"b\"");
  CHECK(QuoteIdentifier("\"") == "\"\"\"\"");
  CHECK(QuoteIdentifier("x\"; DROP TABLE users; --") == "\"x\"\"; DROP TABLE users; --\"");
  // Single quotes, backslashes and spaces are ordinary inside a quoted identifier.
  CHECK(QuoteIdentifier("it's a\\b c") == "\"it's a\\b c\"");
  CHECK(QuoteIdentifier("täst_ü") == "\"täst_ü\"");
}

TEST_CASE("QuoteIdentifier rejects empty, NUL and invalid UTF-8", "[pg][quote]") {
  CHECK_THROWS_AS(QuoteIdentifier(""), std::invalid_argument);
  CHECK_THROWS_AS(QuoteIdentifier(std::string("ab\0c", 4)), std::invalid_argument);
  CHECK_THROWS_AS(QuoteIdentifier("\xff\xfe"), std::invalid_argument);
  CHECK_THROWS_AS(QuoteIdentifier("abc\xc3"), std::invalid_argument);  // truncated sequence
}

TEST_CASE("QuoteLiteral matches PQescapeLiteral's shape", "[pg][quote]") {
  CHECK(QuoteLiteral("") == "''");
  CHECK(QuoteLiteral("plain") == "'plain'");
  CHECK(QuoteLiteral("O'Brien") == "'O''Brien'");
  CHECK(QuoteLiteral("a\\b") == " E'a\\\\b'");
  CHECK(QuoteLiteral("'\\'") == " E'''\\\\'''");
  CHECK(QuoteLiteral("SCRAM-SHA-256$4096:abc+/=$x:y") == "'SCRAM-SHA-256$4096:abc+/=$x:y'");
  CHECK_THROWS_AS(QuoteLiteral(std::string("a\0", 2)), std::invalid_argument);
  CHECK_THROWS_AS(QuoteLiteral("\x80"), std::invalid_argument);
}

TEST_CASE("IsValidUtf8 accepts well-formed and rejects malformed sequences", "[pg][utf8]") {
  CHECK(IsValidUtf8(""));
  CHECK(IsValidUtf8("ascii"));
  CHECK(IsValidUtf8("\xc3\xa9"));                 // é
  CHECK(IsValidUtf8("\xe2\x82\xac"));             // €
  CHECK(IsValidUtf8("\xf0\x9f\x98\x80"));         // 😀
  CHECK(IsValidUtf8("\xf4\x8f\xbf\xbf"));         // U+10FFFF
  CHECK_FALSE(IsValidUtf8("\xc0\xaf"));           // overlong '/'
  CHECK_FALSE(IsValidUtf8("\xe0\x80\xaf"));       // overlong
  CHECK_FALSE(IsValidUtf8("\xed\xa0\x80"));       // surrogate U+D800
  CHECK_FALSE(IsValidUtf8("\xf4\x90\x80\x80"));   // > U+10FFFF
  CHECK_FALSE(IsValidUtf8("\xf8\x88\x80\x80\x80"));
  CHECK_FALSE(IsValidUtf8("\xe2\x82"));           // truncated
  CHECK_FALSE(IsValidUtf8("\xe2\x28\xa1"));       // bad continuation
}
