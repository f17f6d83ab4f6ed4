-- Orders and their lines. Line prices are copied from the product at order time so a
-- later price change never rewrites history.

CREATE TABLE IF NOT EXISTS "orders" (
  "id"           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  "customer_id"  bigint      REFERENCES "customers" ("id") ON DELETE RESTRICT,
  "status"       text        NOT NULL DEFAULT 'confirmed',
  "total_minor"  bigint      NOT NULL,
  "currency"     char(3)     NOT NULL,
  "created_by"   bigint      REFERENCES "users" ("id") ON DELETE SET NULL,
  "version"      bigint      NOT NULL DEFAULT 1,
  "created_at"   timestamptz NOT NULL DEFAULT now(),
  "updated_at"   timestamptz NOT NULL DEFAULT now(),
  "cancelled_at" timestamptz,
  "shipped_at"   timestamptz,
  CONSTRAINT "orders_status_valid" CHECK ("status" IN ('confirmed', 'cancelled', 'shipped')),
  CONSTRAINT "orders_total_nonnegative" CHECK ("total_minor" >= 0),
  CONSTRAINT "orders_currency_iso4217" CHECK ("currency" ~ '^[A-Z]{3}$')
);
CREATE INDEX IF NOT EXISTS "orders_customer_idx" ON "orders" ("customer_id");
CREATE INDEX IF NOT EXISTS "orders_status_idx" ON "orders" ("status", "id");

CREATE TABLE IF NOT EXISTS "order_lines" (
  "order_id"         bigint  NOT NULL REFERENCES "orders" ("id") ON DELETE CASCADE,
  "line_no"          integer NOT NULL,
  "product_id"       bigint  NOT NULL REFERENCES "products" ("id") ON DELETE RESTRICT,
  "quantity"         bigint  NOT NULL,
  "unit_price_minor" bigint  NOT NULL,
  "line_total_minor" bigint  NOT NULL,
  PRIMARY KEY ("order_id", "line_no"),
  CONSTRAINT "order_lines_quantity_positive" CHECK ("quantity" > 0),
  CONSTRAINT "order_lines_price_nonnegative" CHECK ("unit_price_minor" >= 0),
  CONSTRAINT "order_lines_total_consistent" CHECK ("line_total_minor" = "quantity" * "unit_price_minor")
);
CREATE INDEX IF NOT EXISTS "order_lines_product_idx" ON "order_lines" ("product_id");
