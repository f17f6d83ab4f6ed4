#pragma once

#include <string_view>

namespace tenant::api::db {

// A named, parameterized SQL statement. The name doubles as the prepared-statement name on
// every pooled connection and as the `query` label of db_query_duration_seconds, so it
// must be a short constant (the SQL text never reaches metrics or logs).
struct Query {
  std::string_view name;
  std::string_view sql;
};

}  // namespace tenant::api::db
