-- Hello-world JSON (GET /health/live): the HTTP stack alone, every middleware included.
dofile(os.getenv("BENCH_LUA_DIR") .. "/api_wrk_common.lua")
