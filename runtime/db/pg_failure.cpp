#include "runtime/db/pg_failure.hpp"

#include <string>

#include "common/pg/error.hpp"

namespace tenant::api::db {

std::exception_ptr StatementError(PGconn* conn, const PGresult* r) {
  auto get = [r](int code) {
    const char* v = PQresultErrorField(r, code);
    return std::string(v != nullptr ? v : "");
  };
  std::string message = get(PG_DIAG_MESSAGE_PRIMARY);
  if (message.empty()) message = "statement failed";
  std::string sqlstate = get(PG_DIAG_SQLSTATE);
  pg::ErrorFields fields{get(PG_DIAG_MESSAGE_DETAIL), get(PG_DIAG_MESSAGE_HINT), get(PG_DIAG_SCHEMA_NAME),
                         get(PG_DIAG_TABLE_NAME),     get(PG_DIAG_COLUMN_NAME),  get(PG_DIAG_CONSTRAINT_NAME)};
  try {
    if (PQstatus(conn) == CONNECTION_BAD) {
      // libpq reports a lost session as a failed result without a SQLSTATE of its own.
      throw pg::ConnectionError("connection lost: " + message, sqlstate.empty() ? "08006" : sqlstate,
                                std::move(fields));
    }
    pg::ThrowForSqlState(std::move(message), std::move(sqlstate), std::move(fields));
  } catch (...) {
    return std::current_exception();
  }
}

void ThrowConnectionLost(PGconn* c, std::string_view what) {
  const char* m = PQerrorMessage(c);
  std::string text(m != nullptr ? m : "");
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  throw pg::ConnectionError(std::string(what) + ": " + text, "08006");
}

}  // namespace tenant::api::db
