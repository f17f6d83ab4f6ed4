#include <catch2/catch.hpp>

#include <optional>
#include <string>
#include <typeinfo>

#include "common/pg/error.hpp"
#include "common/pg/params.hpp"
#include "common/pg/transaction.hpp"

namespace pg = tenant::pg;

namespace {

template <typename E>
void ExpectMapped(const std::string& sqlstate) {
  INFO("SQLSTATE " << sqlstate);
  try {
    pg::ThrowForSqlState("boom", sqlstate, {"the detail", "", "", "t", "", "c"});
    FAIL("ThrowForSqlState returned");
  } catch (const pg::Error& e) {
    // Exactly the most specific type, not merely something derived from it.
    CHECK(typeid(e) == typeid(E));
    CHECK(e.sqlstate() == sqlstate);
    CHECK(e.message() == "boom");
    CHECK(std::string(e.what()) == "boom (SQLSTATE " + sqlstate + ")");
    CHECK(e.fields().detail == "the detail");
    CHECK(e.fields().constraint == "c");
  }
}

}  // namespace

TEST_CASE("SQLSTATEs map to typed errors", "[pg][error]") {
  ExpectMapped<pg::UniqueViolation>("23505");
  ExpectMapped<pg::ForeignKeyViolation>("23503");
  ExpectMapped<pg::NotNullViolation>("23502");
  ExpectMapped<pg::CheckViolation>("23514");
  ExpectMapped<pg::ExclusionViolation>("23P01");
  ExpectMapped<pg::IntegrityViolation>("23000");
  ExpectMapped<pg::SerializationFailure>("40001");
  ExpectMapped<pg::DeadlockDetected>("40P01");
  ExpectMapped<pg::TransactionRollback>("40002");
  ExpectMapped<pg::QueryCanceled>("57014");
  ExpectMapped<pg::LockNotAvailable>("55P03");
  ExpectMapped<pg::ObjectInUse>("55006");
  ExpectMapped<pg::InsufficientPrivilege>("42501");
  ExpectMapped<pg::UndefinedObject>("42P01");
  ExpectMapped<pg::UndefinedObject>("42704");
  ExpectMapped<pg::UndefinedObject>("3D000");
  ExpectMapped<pg::DuplicateObject>("42710");
  ExpectMapped<pg::DuplicateObject>("42P04");
  ExpectMapped<pg::SyntaxError>("42601");
  ExpectMapped<pg::ConnectionError>("08006");
  ExpectMapped<pg::ConnectionError>("08001");
  ExpectMapped<pg::ConnectionError>("57P01");
  ExpectMapped<pg::AuthenticationError>("28P01");
  ExpectMapped<pg::DataException>("22P02");
  ExpectMapped<pg::Error>("XX000");
}

TEST_CASE("subclass hierarchy lets callers catch by family", "[pg][error]") {
  CHECK_THROWS_AS(pg::ThrowForSqlState("x", "23505"), pg::IntegrityViolation);
  CHECK_THROWS_AS(pg::ThrowForSqlState("x", "40P01"), pg::TransactionRollback);
  CHECK_THROWS_AS(pg::ThrowForSqlState("x", "28000"), pg::ConnectionError);
  // A plain error must not be caught as a specific one.
  try {
    pg::ThrowForSqlState("x", "XX000");
  } catch (const pg::UniqueViolation&) {
    FAIL("XX000 caught as UniqueViolation");
  } catch (const pg::Error& e) {
    CHECK(e.sqlstate() == "XX000");
  }
}

TEST_CASE("IsTransient: rollbacks and lost connections, not bad credentials", "[pg][error]") {
  CHECK(pg::IsTransient(pg::SerializationFailure("x", "40001")));
  CHECK(pg::IsTransient(pg::DeadlockDetected("x", "40P01")));
  CHECK(pg::IsTransient(pg::ConnectionError("x", "08006")));
  CHECK_FALSE(pg::IsTransient(pg::AuthenticationError("x", "28P01")));
  CHECK_FALSE(pg::IsTransient(pg::UniqueViolation("x", "23505")));
  CHECK_FALSE(pg::IsTransient(pg::Error("x", "")));
}

TEST_CASE("Param converts values to bound text", "[pg][params]") {
  const pg::Params p{"text", std::string("str"), std::string_view("view"), 42, -7L,
                     std::uint64_t{18446744073709551615ULL}, true, false, std::nullopt,
                     std::optional<std::string>("opt"), std::optional<std::string>()};
  REQUIRE(p.size() == 11);
  CHECK(p[0].value() == "text");
  CHECK(p[1].value() == "str");
  CHECK(p[2].value() == "view");
  CHECK(p[3].value() == "42");
  CHECK(p[4].value() == "-7");
  CHECK(p[5].value() == "18446744073709551615");
  CHECK(p[6].value() == "true");
  CHECK(p[7].value() == "false");
  CHECK(p[8].is_null());
  CHECK(p[9].value() == "opt");
  CHECK(p[10].is_null());
  CHECK_FALSE(p[0].is_null());
}

TEST_CASE("BeginStatement spells isolation and access mode", "[pg][transaction]") {
  using pg::IsolationLevel;
  CHECK(pg::BeginStatement({}) == "BEGIN ISOLATION LEVEL READ COMMITTED");
  CHECK(pg::BeginStatement({IsolationLevel::kSerializable, false}) ==
        "BEGIN ISOLATION LEVEL SERIALIZABLE");
  CHECK(pg::BeginStatement({IsolationLevel::kRepeatableRead, true}) ==
        "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
}

TEST_CASE("connect failures are summarised to one actionable line", "[pg]") {
  using tenant::pg::SummarizeConnectFailure;
  CHECK(SummarizeConnectFailure("connection to server at \"localhost\" (127.0.0.1), port 35607 failed: Connection "
                                "refused\n\tIs the server running on that host and accepting TCP/IP connections?\n") ==
        "connection refused");
  CHECK(SummarizeConnectFailure("connection to server at \"pg\" (10.0.0.1), port 5432 failed: FATAL:  password "
                                "authentication failed for user \"admin\"\n") ==
        "password authentication failed for user \"admin\"");
  CHECK(SummarizeConnectFailure("could not translate host name \"nope\" to address: Name or service not known\n") ==
        "could not translate host name \"nope\" to address: Name or service not known");
  CHECK(SummarizeConnectFailure("SSL error: certificate verify failed") == "SSL error: certificate verify failed");
  CHECK(SummarizeConnectFailure("") == "unknown error");
}
