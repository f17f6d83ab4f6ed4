-- Customers and products. Money is integer minor units plus an ISO 4217 code; never
-- floating point. "version" backs the ETag / If-Match optimistic concurrency.

CREATE TABLE IF NOT EXISTS "customers" (
  "id"         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  "name"       text        NOT NULL,
  "email"      text,
  "phone"      text,
  "address"    text,
  "version"    bigint      NOT NULL DEFAULT 1,
  "created_at" timestamptz NOT NULL DEFAULT now(),
  "updated_at" timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT "customers_name_len" CHECK (char_length("name") BETWEEN 1 AND 200)
);
CREATE UNIQUE INDEX IF NOT EXISTS "customers_email_key" ON "customers" (lower("email"));

CREATE TABLE IF NOT EXISTS "products" (
  "id"               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  "sku"              text        NOT NULL,
  "name"             text        NOT NULL,
  "description"      text        NOT NULL DEFAULT '',
  "unit_price_minor" bigint      NOT NULL,
  "currency"         char(3)     NOT NULL,
  "stock_quantity"   bigint      NOT NULL DEFAULT 0,
  "active"           boolean     NOT NULL DEFAULT true,
  "version"          bigint      NOT NULL DEFAULT 1,
  "created_at"       timestamptz NOT NULL DEFAULT now(),
  "updated_at"       timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT "products_sku_format" CHECK ("sku" ~ '^[A-Za-z0-9._-]{1,64}$'),
  CONSTRAINT "products_name_len" CHECK (char_length("name") BETWEEN 1 AND 200),
  CONSTRAINT "products_price_nonnegative" CHECK ("unit_price_minor" >= 0),
  CONSTRAINT "products_currency_iso4217" CHECK ("currency" ~ '^[A-Z]{3}$'),
  -- the last line of defence against overselling; the order code checks first
  CONSTRAINT "products_stock_nonnegative" CHECK ("stock_quantity" >= 0)
);
CREATE UNIQUE INDEX IF NOT EXISTS "products_sku_key" ON "products" ("sku");
