-- Users of one tenant and their refresh tokens. Runs as the tenant's owner role (no
-- superuser, no extensions): gen_random_uuid() is built into PostgreSQL 13+.
-- IF NOT EXISTS everywhere so a half-applied manual run can be repeated safely.

CREATE TABLE IF NOT EXISTS "users" (
  "id"            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  "username"      text        NOT NULL,
  "password_hash" text        NOT NULL,
  "role"          text        NOT NULL,
  "active"        boolean     NOT NULL DEFAULT true,
  "version"       bigint      NOT NULL DEFAULT 1,
  "created_at"    timestamptz NOT NULL DEFAULT now(),
  "updated_at"    timestamptz NOT NULL DEFAULT now(),
  -- usernames are stored lower-case so uniqueness is case-insensitive without citext
  CONSTRAINT "users_username_format" CHECK ("username" ~ '^[a-z0-9._@-]{1,64}$'),
  CONSTRAINT "users_role_valid" CHECK ("role" IN ('admin', 'manager', 'clerk')),
  CONSTRAINT "users_password_hash_bcrypt" CHECK ("password_hash" LIKE '$2b$%')
);
CREATE UNIQUE INDEX IF NOT EXISTS "users_username_key" ON "users" ("username");

-- Refresh tokens are opaque random strings; only their SHA-256 is stored. All tokens
-- obtained by rotating one login share a family, so reuse of a spent token can revoke
-- every descendant at once.
CREATE TABLE IF NOT EXISTS "refresh_tokens" (
  "id"          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  "token_hash"  bytea       NOT NULL,
  "family_id"   uuid        NOT NULL,
  "user_id"     bigint      NOT NULL REFERENCES "users" ("id") ON DELETE CASCADE,
  "created_at"  timestamptz NOT NULL DEFAULT now(),
  "expires_at"  timestamptz NOT NULL,
  "used_at"     timestamptz,
  "revoked_at"  timestamptz,
  CONSTRAINT "refresh_tokens_hash_len" CHECK (octet_length("token_hash") = 32)
);
CREATE UNIQUE INDEX IF NOT EXISTS "refresh_tokens_token_hash_key" ON "refresh_tokens" ("token_hash");
CREATE INDEX IF NOT EXISTS "refresh_tokens_family_idx" ON "refresh_tokens" ("family_id");
CREATE INDEX IF NOT EXISTS "refresh_tokens_user_idx" ON "refresh_tokens" ("user_id");
