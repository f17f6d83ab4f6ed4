#include "runtime/db/pg_failure.hpp"

#include <string>

#include "common/pg/error.hpp"

namespace tenant::api::db {

std::exception_ptr StatementError(const PGresult* r) {
  auto get = [r](int code) {
    const char* v = PQresultErrorField(r, code);
    return std::string(v != nullptr ? v : "");
  };
  std::string message = get(PG_DIAG_MESSAGE_PRIMARY);
  if (message.empty()) message = "statement failed";
  pg::ErrorFields fields{get(PG_DIAG_MESSAGE_DETAIL), get(PG_DIAG_MESSAGE_HINT), get(PG_DIAG_SCHEMA_NAME),
                         get(PG_DIAG_TABLE_NAME),     get(PG_DIAG_COLUMN_NAME),  get(PG_DIAG_CONSTRAINT_NAME)};
  try {
    pg::ThrowForSqlState(std::move(message), get(PG_DIAG_SQLSTATE), std::move(fields));
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
