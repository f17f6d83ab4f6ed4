-- GET /api/v1/products/{random id} with a valid JWT (auth + rate limiting on).
dofile(os.getenv("BENCH_LUA_DIR") .. "/api_wrk_common.lua")

request = function()
  bench.seed()
  return wrk.format("GET", "/api/v1/products/" .. bench.random_product(),
                    { ["Authorization"] = "Bearer " .. bench.token })
end
