#pragma once
#include "runtime/db/query.hpp"

namespace tenant::api::db::users {

#define TENANT_USER_COLUMNS                                                                   \
  "\"id\", \"username\", \"role\", \"active\", \"version\", "                                 \
  "to_char(\"created_at\" AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') AS \"created_at\", " \
  "to_char(\"updated_at\" AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') AS \"updated_at\""

inline constexpr Query kInsert{
    "users_insert",
    "INSERT INTO \"users\" (\"username\", \"password_hash\", \"role\") VALUES ($1, $2, $3) "
    "RETURNING " TENANT_USER_COLUMNS};

inline constexpr Query kGet{"users_get",
                            "SELECT " TENANT_USER_COLUMNS " FROM \"users\" WHERE \"id\" = $1"};

// $1 after-id, $2 limit, $3 role, $4 active
inline constexpr Query kList{
    "users_list",
    "SELECT " TENANT_USER_COLUMNS " FROM \"users\" WHERE \"id\" > $1 "
    "AND ($3::text IS NULL OR \"role\" = $3) AND ($4::boolean IS NULL OR \"active\" = $4) "
    "ORDER BY \"id\" LIMIT $2"};

inline constexpr Query kForLogin{
    "users_for_login",
    "SELECT \"id\", \"password_hash\", \"role\", \"active\" FROM \"users\" WHERE \"username\" = $1"};

inline constexpr Query kDeactivate{
    "users_deactivate",
    "UPDATE \"users\" SET \"active\" = false, \"version\" = \"version\" + 1, \"updated_at\" = now() "
    "WHERE \"id\" = $1 RETURNING " TENANT_USER_COLUMNS};

inline constexpr Query kSetPassword{
    "users_set_password",
    "UPDATE \"users\" SET \"password_hash\" = $2, \"version\" = \"version\" + 1, "
    "\"updated_at\" = now() WHERE \"id\" = $1 RETURNING " TENANT_USER_COLUMNS};

#undef TENANT_USER_COLUMNS

}  // namespace tenant::api::db::users

namespace tenant::api::db::tokens {

// $1 hash (bytea hex), $2 user id, $3 family (NULL = start a new family)
inline constexpr Query kInsert{
    "refresh_insert",
    "INSERT INTO \"refresh_tokens\" (\"token_hash\", \"family_id\", \"user_id\", \"expires_at\") "
    "VALUES ($1::bytea, coalesce($3::uuid, gen_random_uuid()), $2, now() + interval '30 days') "
    "RETURNING \"family_id\""};

// Locks the token row so two concurrent refreshes of one token serialize: exactly one
// rotates it, the other sees it used (and revokes the family).
inline constexpr Query kLockByHash{
    "refresh_lock",
    "SELECT t.\"id\", t.\"family_id\", t.\"user_id\", t.\"used_at\" IS NOT NULL AS \"used\", "
    "t.\"revoked_at\" IS NOT NULL AS \"revoked\", t.\"expires_at\" <= now() AS \"expired\", "
    "u.\"role\", u.\"active\" FROM \"refresh_tokens\" t JOIN \"users\" u ON u.\"id\" = t.\"user_id\" "
    "WHERE t.\"token_hash\" = $1::bytea FOR UPDATE OF t"};

inline constexpr Query kMarkUsed{
    "refresh_mark_used", "UPDATE \"refresh_tokens\" SET \"used_at\" = now() WHERE \"id\" = $1"};

inline constexpr Query kRevokeFamily{
    "refresh_revoke_family",
    "UPDATE \"refresh_tokens\" SET \"revoked_at\" = now() WHERE \"family_id\" = $1 "
    "AND \"revoked_at\" IS NULL"};

inline constexpr Query kRevokeUser{
    "refresh_revoke_user",
    "UPDATE \"refresh_tokens\" SET \"revoked_at\" = now() WHERE \"user_id\" = $1 "
    "AND \"revoked_at\" IS NULL"};

}  // namespace tenant::api::db::tokens
