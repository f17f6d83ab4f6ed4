#pragma once
#include "runtime/db/query.hpp"

namespace tenant::api::db::support {

// $1 user id (NULL for anonymous), $2 action, $3 entity, $4 entity id, $5 request id, $6 details
inline constexpr Query kAudit{
    "audit_insert",
    "INSERT INTO \"audit_log\" (\"user_id\", \"action\", \"entity\", \"entity_id\", \"request_id\", "
    "\"details\") VALUES ($1, $2, $3, $4, $5, $6::jsonb)"};

// Claims a key inside the write's transaction. A concurrent claim of the same key blocks on
// the primary key until the first transaction ends, then sees its row (or takes over if it
// rolled back), so two racing retries never both run the effect.
inline constexpr Query kIdempotencyClaim{
    "idempotency_claim",
    "INSERT INTO \"idempotency_keys\" (\"scope\", \"key\", \"request_hash\", \"response_status\", "
    "\"response_body\") VALUES ($1, $2, $3::bytea, 0, '') ON CONFLICT DO NOTHING RETURNING 1"};

inline constexpr Query kIdempotencyGet{
    "idempotency_get",
    "SELECT \"request_hash\", \"response_status\", \"response_body\", \"response_headers\" "
    "FROM \"idempotency_keys\" WHERE \"scope\" = $1 AND \"key\" = $2"};

inline constexpr Query kIdempotencyStore{
    "idempotency_store",
    "UPDATE \"idempotency_keys\" SET \"response_status\" = $3, \"response_body\" = $4, "
    "\"response_headers\" = $5::jsonb WHERE \"scope\" = $1 AND \"key\" = $2"};

// Stored responses are kept for 24 hours (like Stripe's keys); a retry after that runs again.
inline constexpr Query kIdempotencyPurge{
    "idempotency_purge",
    "DELETE FROM \"idempotency_keys\" WHERE \"created_at\" < now() - interval '24 hours'"};

inline constexpr Query kSchemaVersion{
    "schema_version", "SELECT coalesce(max(\"version\"), 0) FROM \"schema_migrations\""};

inline constexpr Query kPing{"ping", "SELECT 1"};

}  // namespace tenant::api::db::support
