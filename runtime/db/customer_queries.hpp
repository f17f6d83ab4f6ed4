#pragma once
#include "runtime/db/query.hpp"

namespace tenant::api::db::customers {

#define TENANT_CUSTOMER_COLUMNS                                                               \
  "\"id\", \"name\", \"email\", \"phone\", \"address\", \"version\", "                        \
  "to_char(\"created_at\" AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') AS \"created_at\", " \
  "to_char(\"updated_at\" AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') AS \"updated_at\""

inline constexpr Query kInsert{
    "customers_insert",
    "INSERT INTO \"customers\" (\"name\", \"email\", \"phone\", \"address\") "
    "VALUES ($1, $2, $3, $4) RETURNING " TENANT_CUSTOMER_COLUMNS};

inline constexpr Query kGet{
    "customers_get", "SELECT " TENANT_CUSTOMER_COLUMNS " FROM \"customers\" WHERE \"id\" = $1"};

// $1 after-id, $2 limit, $3 name substring (ILIKE pattern), $4 email (case-insensitive)
inline constexpr Query kList{
    "customers_list",
    "SELECT " TENANT_CUSTOMER_COLUMNS " FROM \"customers\" WHERE \"id\" > $1 "
    "AND ($3::text IS NULL OR \"name\" ILIKE $3) "
    "AND ($4::text IS NULL OR lower(\"email\") = lower($4)) ORDER BY \"id\" LIMIT $2"};

// $1 id, $2 expected version (NULL = any), then (present flag, value) pairs; a present
// NULL value clears an optional field.
inline constexpr Query kUpdate{
    "customers_update",
    "UPDATE \"customers\" SET "
    "\"name\" = CASE WHEN $3::boolean THEN $4 ELSE \"name\" END, "
    "\"email\" = CASE WHEN $5::boolean THEN $6 ELSE \"email\" END, "
    "\"phone\" = CASE WHEN $7::boolean THEN $8 ELSE \"phone\" END, "
    "\"address\" = CASE WHEN $9::boolean THEN $10 ELSE \"address\" END, "
    "\"version\" = \"version\" + 1, \"updated_at\" = now() "
    "WHERE \"id\" = $1 AND ($2::bigint IS NULL OR \"version\" = $2) "
    "RETURNING " TENANT_CUSTOMER_COLUMNS};

inline constexpr Query kDelete{
    "customers_delete",
    "DELETE FROM \"customers\" WHERE \"id\" = $1 AND ($2::bigint IS NULL OR \"version\" = $2) "
    "RETURNING \"id\""};

inline constexpr Query kExists{"customers_exists",
                               "SELECT \"version\" FROM \"customers\" WHERE \"id\" = $1"};

#undef TENANT_CUSTOMER_COLUMNS

}  // namespace tenant::api::db::customers
