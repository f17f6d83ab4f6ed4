#pragma once
#include "runtime/db/query.hpp"

namespace tenant::api::db::orders {

#define TENANT_ORDER_COLUMNS                                                                  \
  "\"id\", \"customer_id\", \"status\", \"total_minor\", \"currency\", \"created_by\", \"version\", " \
  "to_char(\"created_at\" AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') AS \"created_at\", " \
  "to_char(\"updated_at\" AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') AS \"updated_at\""

// Locks every product of an order in ascending id order. Every transaction that locks more
// than one product row goes through this (or the same ORDER BY), so two orders can never
// wait on each other in a cycle: no deadlocks. $1 bigint[] of distinct ids.
inline constexpr Query kLockProducts{
    "orders_lock_products",
    "SELECT \"id\", \"sku\", \"unit_price_minor\", \"currency\", \"stock_quantity\", \"active\" "
    "FROM \"products\" WHERE \"id\" = ANY($1::bigint[]) ORDER BY \"id\" FOR UPDATE"};

// One statement for everything after the stock check: order row, its lines, the stock
// decrement and the audit row (one round trip instead of four).
// $1 customer id|NULL, $2 total, $3 currency, $4 created_by, $5..$9 line arrays
// (line_no, product_id, quantity, unit price, line total), $10/$11 product ids / quantities
// to decrement, $12 request id.
inline constexpr Query kCreate{
    "orders_create",
    "WITH \"o\" AS (INSERT INTO \"orders\" (\"customer_id\", \"total_minor\", \"currency\", "
    "\"created_by\") VALUES ($1, $2, $3, $4) RETURNING " TENANT_ORDER_COLUMNS "), "
    "\"l\" AS (INSERT INTO \"order_lines\" (\"order_id\", \"line_no\", \"product_id\", "
    "\"quantity\", \"unit_price_minor\", \"line_total_minor\") SELECT \"o\".\"id\", d.* FROM \"o\", "
    "unnest($5::integer[], $6::bigint[], $7::bigint[], $8::bigint[], $9::bigint[]) AS d), "
    "\"s\" AS (UPDATE \"products\" AS p SET \"stock_quantity\" = p.\"stock_quantity\" - d.\"qty\", "
    "\"version\" = p.\"version\" + 1, \"updated_at\" = now() "
    "FROM unnest($10::bigint[], $11::bigint[]) AS d(\"pid\", \"qty\") WHERE p.\"id\" = d.\"pid\"), "
    "\"a\" AS (INSERT INTO \"audit_log\" (\"user_id\", \"action\", \"entity\", \"entity_id\", "
    "\"request_id\") SELECT $4, 'create', 'order', \"o\".\"id\"::text, $12 FROM \"o\") "
    "SELECT * FROM \"o\""};

inline constexpr Query kGet{
    "orders_get", "SELECT " TENANT_ORDER_COLUMNS " FROM \"orders\" WHERE \"id\" = $1"};

inline constexpr Query kLock{
    "orders_lock", "SELECT \"status\" FROM \"orders\" WHERE \"id\" = $1 FOR UPDATE"};

// $1 after-id, $2 limit, $3 status, $4 customer id
inline constexpr Query kList{
    "orders_list",
    "SELECT " TENANT_ORDER_COLUMNS " FROM \"orders\" WHERE \"id\" > $1 "
    "AND ($3::text IS NULL OR \"status\" = $3) AND ($4::bigint IS NULL OR \"customer_id\" = $4) "
    "ORDER BY \"id\" LIMIT $2"};

inline constexpr Query kLines{
    "orders_lines",
    "SELECT \"order_id\", \"line_no\", \"product_id\", \"quantity\", \"unit_price_minor\", "
    "\"line_total_minor\" FROM \"order_lines\" WHERE \"order_id\" = ANY($1::bigint[]) "
    "ORDER BY \"order_id\", \"line_no\""};

// Cancel: lock the order's products in id order, then give the stock back.
inline constexpr Query kLockOrderProducts{
    "orders_lock_order_products",
    "SELECT p.\"id\" FROM \"products\" p WHERE p.\"id\" IN (SELECT \"product_id\" FROM "
    "\"order_lines\" WHERE \"order_id\" = $1) ORDER BY p.\"id\" FOR UPDATE"};

inline constexpr Query kRestoreStock{
    "orders_restore_stock",
    "UPDATE \"products\" AS p SET \"stock_quantity\" = p.\"stock_quantity\" + l.\"qty\", "
    "\"version\" = p.\"version\" + 1, \"updated_at\" = now() FROM (SELECT \"product_id\", "
    "sum(\"quantity\") AS \"qty\" FROM \"order_lines\" WHERE \"order_id\" = $1 GROUP BY "
    "\"product_id\") AS l WHERE p.\"id\" = l.\"product_id\""};

// $1 id, $2 new status ('cancelled' | 'shipped')
inline constexpr Query kSetStatus{
    "orders_set_status",
    "UPDATE \"orders\" SET \"status\" = $2, \"version\" = \"version\" + 1, \"updated_at\" = now(), "
    "\"cancelled_at\" = CASE WHEN $2 = 'cancelled' THEN now() ELSE \"cancelled_at\" END, "
    "\"shipped_at\" = CASE WHEN $2 = 'shipped' THEN now() ELSE \"shipped_at\" END "
    "WHERE \"id\" = $1 RETURNING " TENANT_ORDER_COLUMNS};

#undef TENANT_ORDER_COLUMNS

}  // namespace tenant::api::db::orders
