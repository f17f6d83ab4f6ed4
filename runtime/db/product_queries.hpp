#pragma once
// Named SQL for products. Every value is a bound parameter; optional filters use the
// "($n IS NULL OR col = $n)" form so one prepared statement serves every combination.
#include "runtime/db/query.hpp"

namespace tenant::api::db::products {

#define TENANT_PRODUCT_COLUMNS                                                                \
  "\"id\", \"sku\", \"name\", \"description\", \"unit_price_minor\", \"currency\", "          \
  "\"stock_quantity\", \"active\", \"version\", "                                            \
  "to_char(\"created_at\" AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') AS \"created_at\", " \
  "to_char(\"updated_at\" AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') AS \"updated_at\""

inline constexpr Query kInsert{
    "products_insert",
    "INSERT INTO \"products\" (\"sku\", \"name\", \"description\", \"unit_price_minor\", "
    "\"currency\", \"stock_quantity\", \"active\") VALUES ($1, $2, $3, $4, $5, $6, $7) "
    "RETURNING " TENANT_PRODUCT_COLUMNS};

inline constexpr Query kGet{
    "products_get", "SELECT " TENANT_PRODUCT_COLUMNS " FROM \"products\" WHERE \"id\" = $1"};

// $1 after-id, $2 limit, $3 active, $4 sku, $5 name substring (ILIKE pattern), $6 currency
inline constexpr Query kList{
    "products_list",
    "SELECT " TENANT_PRODUCT_COLUMNS " FROM \"products\" WHERE \"id\" > $1 "
    "AND ($3::boolean IS NULL OR \"active\" = $3) AND ($4::text IS NULL OR \"sku\" = $4) "
    "AND ($5::text IS NULL OR \"name\" ILIKE $5) AND ($6::text IS NULL OR \"currency\" = $6) "
    "ORDER BY \"id\" LIMIT $2"};

// $1 id, $2 expected version (NULL = any, for If-Match: *), then (present flag, value) pairs.
inline constexpr Query kUpdate{
    "products_update",
    "UPDATE \"products\" SET "
    "\"sku\" = CASE WHEN $3::boolean THEN $4 ELSE \"sku\" END, "
    "\"name\" = CASE WHEN $5::boolean THEN $6 ELSE \"name\" END, "
    "\"description\" = CASE WHEN $7::boolean THEN $8 ELSE \"description\" END, "
    "\"unit_price_minor\" = CASE WHEN $9::boolean THEN $10::bigint ELSE \"unit_price_minor\" END, "
    "\"currency\" = CASE WHEN $11::boolean THEN $12 ELSE \"currency\" END, "
    "\"stock_quantity\" = CASE WHEN $13::boolean THEN $14::bigint ELSE \"stock_quantity\" END, "
    "\"active\" = CASE WHEN $15::boolean THEN $16::boolean ELSE \"active\" END, "
    "\"version\" = \"version\" + 1, \"updated_at\" = now() "
    "WHERE \"id\" = $1 AND ($2::bigint IS NULL OR \"version\" = $2) "
    "RETURNING " TENANT_PRODUCT_COLUMNS};

// $1 id, $2 expected version (NULL = any)
inline constexpr Query kDelete{
    "products_delete",
    "DELETE FROM \"products\" WHERE \"id\" = $1 AND ($2::bigint IS NULL OR \"version\" = $2) "
    "RETURNING \"id\""};

inline constexpr Query kExists{"products_exists",
                               "SELECT \"version\" FROM \"products\" WHERE \"id\" = $1"};

#undef TENANT_PRODUCT_COLUMNS

}  // namespace tenant::api::db::products
