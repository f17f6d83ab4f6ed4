-- Shared by the api_* wrk scripts (loaded with dofile): environment, randomness, summary.
bench = {}
bench.token = os.getenv("BENCH_TOKEN") or ""
bench.first_id = tonumber(os.getenv("BENCH_FIRST_ID") or "1")
bench.products = tonumber(os.getenv("BENCH_PRODUCTS") or "10000")

local seeded = false
function bench.seed()
  if not seeded then
    -- each wrk thread has its own Lua state; mix in the table address to differ per thread
    math.randomseed(os.time() + tonumber(tostring({}):match("0x(%x+)") or "0", 16) % 1000003)
    seeded = true
  end
end

function bench.random_product()
  return bench.first_id + math.random(0, bench.products - 1)
end

-- One machine-readable line: RESULT rps p50_ms p99_ms non2xx socket_errors
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT %.1f %.3f %.3f %d %d\n",
    summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    e.status, e.connect + e.read + e.write + e.timeout))
end
