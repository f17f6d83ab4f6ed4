-- POST /api/v1/orders (one line, quantity 1, random product) with a valid JWT and a unique
-- Idempotency-Key per request: the full write path (stock lock, order, audit, idempotency).
dofile(os.getenv("BENCH_LUA_DIR") .. "/api_wrk_common.lua")

local counter = 0
local thread_tag = nil

request = function()
  bench.seed()
  if thread_tag == nil then thread_tag = tostring(math.random(1, 2147483647)) end
  counter = counter + 1
  local body = string.format('{"lines":[{"product_id":%d,"quantity":1}]}', bench.random_product())
  return wrk.format("POST", "/api/v1/orders", {
    ["Authorization"] = "Bearer " .. bench.token,
    ["Content-Type"] = "application/json",
    ["Idempotency-Key"] = "bench-" .. thread_tag .. "-" .. counter,
  }, body)
end
