-- Benchmark seed for tests/bench (not a migration; never embedded). Run against a migrated
-- tenant database:  psql "$DSN" -v ON_ERROR_STOP=1 -f runtime/db/bench_seed.sql
-- Creates products BENCH-1 .. BENCH-10000 (ids 1..10000 on a fresh database) with stock
-- high enough that POST /api/v1/orders never runs out during a run. Idempotent.
INSERT INTO "products" ("sku", "name", "description", "unit_price_minor", "currency", "stock_quantity")
SELECT 'BENCH-' || g, 'Bench product ' || g, 'seeded for benchmarks', 100 + (g % 900), 'EUR', 1000000000
FROM generate_series(1, 10000) AS g
ON CONFLICT ("sku") DO NOTHING;
-- Reset stock so repeated runs start equal.
UPDATE "products" SET "stock_quantity" = 1000000000 WHERE "sku" LIKE 'BENCH-%';
ANALYZE "products";
