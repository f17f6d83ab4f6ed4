-- audit_log: one row per write, in the same transaction as the write.
-- idempotency_keys: the stored response of each POST carrying an Idempotency-Key, scoped
-- per user, so a retry returns the original response without repeating the effect.

CREATE TABLE IF NOT EXISTS "audit_log" (
  "id"         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  "user_id"    bigint,
  "action"     text        NOT NULL,
  "entity"     text        NOT NULL,
  "entity_id"  text        NOT NULL,
  "request_id" text        NOT NULL DEFAULT '',
  "at"         timestamptz NOT NULL DEFAULT now(),
  "details"    jsonb       NOT NULL DEFAULT '{}'::jsonb
);
CREATE INDEX IF NOT EXISTS "audit_log_entity_idx" ON "audit_log" ("entity", "entity_id");
CREATE INDEX IF NOT EXISTS "audit_log_at_idx" ON "audit_log" ("at");

CREATE TABLE IF NOT EXISTS "idempotency_keys" (
  "scope"           text        NOT NULL,
  "key"             text        NOT NULL,
  "request_hash"    bytea       NOT NULL,
  "response_status" integer     NOT NULL,
  "response_body"   text        NOT NULL,
  "response_headers" jsonb      NOT NULL DEFAULT '{}'::jsonb,
  "created_at"      timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY ("scope", "key"),
  CONSTRAINT "idempotency_keys_key_len" CHECK (char_length("key") BETWEEN 1 AND 255)
);
CREATE INDEX IF NOT EXISTS "idempotency_keys_created_idx" ON "idempotency_keys" ("created_at");
