#!/usr/bin/env bash
# tenant-api benchmark (issue 5, section 7). Prints a table; asserts nothing.
#
#   tests/bench/api_bench.sh [seconds-per-run (default 15)]
#
# Environment: BENCH_API_BIN (a tenant-api binary to measure instead of building one),
# BENCH_SCENARIOS (subset of "hello get16 post16 get64 post64 pgbench", default all),
# BENCH_DB_POOL, BENCH_WORKERS, BENCH_IO_THREADS, BENCH_LOG_LEVEL, BENCH_PERF_DIR.
#
# Starts a throw-away PostgreSQL (TLS) and Redis (tests/services), builds tenant-api in
# Release (build/bench-release unless BENCH_BUILD_DIR is set), migrates, seeds 10,000
# products, logs in for a JWT, then runs with auth and rate limiting ON (limits set high):
#   wrk -t2 GET /api/v1/products/{random id}  and  POST /api/v1/orders   at 16 and 64 connections
#   wrk -t2 -c64 GET /health/live (hello-world JSON through the whole HTTP stack)
#   pgbench -S -M prepared and TPC-B-like pgbench (-M prepared) at 16 and 64 clients
# and reports rps, p50, p99, the ratio to pgbench, and the server's peak RSS; the load
# average (1 min) when each run started; pgbench's own p50/p99 (per-transaction log); and,
# from the server's /metrics, where the requests of each run spent their time (phases).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
dur="${1:-15}"
build="${BENCH_BUILD_DIR:-$repo/build/bench-release}"
pool="${BENCH_DB_POOL:-16}"

for tool in wrk pgbench psql curl jq python3; do
  command -v "$tool" >/dev/null || { echo "api_bench: $tool missing (scripts/install-deps.sh)"; exit 1; }
done
command -v pgbench >/dev/null || PATH="/usr/lib/postgresql/15/bin:$PATH"

scenarios="${BENCH_SCENARIOS:-hello get16 post16 get64 post64 pgbench}"
want() { [[ " $scenarios " == *" $1 "* ]]; }

if [[ -z ${BENCH_API_BIN:-} && ! -x $build/runtime/tenant-api ]]; then
  echo "== building tenant-api (Release) in $build"
  # -Wno-error=restrict: GCC 12's -Wrestrict false positive on inlined std::string copies at
  # -O2/-O3 (GCC bug 105329) would otherwise stop an optimized build.
  cmake -S "$repo" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DTENANT_SANITIZE=OFF -DTENANT_BUILD_TESTS=OFF \
    -DCMAKE_CXX_FLAGS="-Wno-error=restrict" >/dev/null
  cmake --build "$build" --target tenant-api -j2 >/dev/null
fi
api="${BENCH_API_BIN:-$build/runtime/tenant-api}"

work="$(mktemp -d /tmp/tenant-bench-XXXXXX)"
chmod 755 "$work"
api_pid=""
rss_pid=""
cleanup() {
  [[ -n $rss_pid ]] && kill "$rss_pid" 2>/dev/null || true
  [[ -n $api_pid ]] && kill -TERM "$api_pid" 2>/dev/null && wait "$api_pid" 2>/dev/null || true
  bash "$repo/tests/services/redis.sh" stop "$work/redis" >/dev/null 2>&1 || true
  bash "$repo/tests/services/postgres.sh" stop "$work/pg" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
pg_port=$(free_port); redis_port=$(free_port); api_port=$(free_port)

echo "== starting PostgreSQL (TLS) and Redis"
bash "$repo/tests/services/postgres.sh" init "$work/pg" "$pg_port" >/dev/null
bash "$repo/tests/services/postgres.sh" start "$work/pg" >/dev/null
bash "$repo/tests/services/redis.sh" init "$work/redis" "$redis_port" >/dev/null
bash "$repo/tests/services/redis.sh" start "$work/redis" >/dev/null
set -a; . "$work/pg/env"; . "$work/redis/env"; set +a

psql -q -d postgres -c 'CREATE DATABASE "erp_bench"' -c 'CREATE DATABASE "pgbench"'
export DATABASE_URL="host=$PGHOST port=$PGPORT dbname=erp_bench user=$PGUSER password=$PGPASSWORD sslmode=verify-full sslrootcert=$PGSSLROOTCERT"
export JWT_SIGNING_KEY="$(openssl rand -hex 32)"
export TENANT_ID=bench PORT="$api_port" BIND_ADDRESS=127.0.0.1 DB_POOL_SIZE="$pool" LOG_LEVEL="${BENCH_LOG_LEVEL:-info}"
# Thread tuning to compare (0 = the server's defaults).
export WORKER_THREADS="${BENCH_WORKERS:-0}" IO_THREADS="${BENCH_IO_THREADS:-0}"
export REDIS_URL RATE_LIMIT_ENABLED=true
export RATE_LIMIT_READ_PER_MINUTE=10000000 RATE_LIMIT_WRITE_PER_MINUTE=10000000
export RATE_LIMIT_AUTH_PER_MINUTE=100000 RATE_LIMIT_LOGIN_PER_MINUTE=1000

"$api" migrate up >/dev/null
echo "== seeding 10,000 products"
psql -q -d erp_bench -c "INSERT INTO \"products\" (\"sku\", \"name\", \"unit_price_minor\", \"currency\", \"stock_quantity\")
  SELECT 'SKU-' || g, 'Product ' || g, 100 + g, 'EUR', 1000000000 FROM generate_series(1, 10000) AS g"
psql -q -d erp_bench -c 'VACUUM ANALYZE'
first_id=$(psql -tA -d erp_bench -c 'SELECT min("id") FROM "products"')
password="bench-$(openssl rand -hex 8)"
echo "$password" | "$api" create-user --username bench --role admin >/dev/null

"$api" serve 2>"$work/api.log" &
api_pid=$!
for _ in $(seq 1 100); do
  curl -fs "http://127.0.0.1:$api_port/health/ready" >/dev/null 2>&1 && break
  sleep 0.1
done
curl -fs "http://127.0.0.1:$api_port/health/ready" >/dev/null || { echo "api_bench: tenant-api not ready"; tail -20 "$work/api.log"; exit 1; }
token=$(curl -fs -X POST "http://127.0.0.1:$api_port/api/v1/auth/token" -H 'Content-Type: application/json' \
  -d "{\"username\":\"bench\",\"password\":\"$password\"}" | jq -r .access_token)
[[ -n $token && $token != null ]] || { echo "api_bench: login failed"; exit 1; }

# Peak RSS of the server process, sampled every 200 ms.
( peak=0; while kill -0 "$api_pid" 2>/dev/null; do
    rss=$(awk '/VmRSS/ {print $2}' "/proc/$api_pid/status" 2>/dev/null || echo 0)
    (( rss > peak )) && peak=$rss && echo "$peak" > "$work/rss_peak"
    sleep 0.2
  done ) &
rss_pid=$!

export BENCH_TOKEN="$token" BENCH_FIRST_ID="$first_id" BENCH_PRODUCTS=10000 BENCH_LUA_DIR="$here"
redis_pid=$(cat "$work/redis/redis.pid")
pg_pid=$(head -1 "$work/pg/data/postmaster.pid")
hz=$(getconf CLK_TCK)
cpu_ticks() {  # pids... -> user+system clock ticks (all threads), summed
  local t=0 p v
  for p in "$@"; do
    v=$(awk '{sub(/.*\) /, ""); print $12 + $13}' "/proc/$p/stat" 2>/dev/null || echo 0)
    t=$((t + ${v:-0}))
  done
  echo "$t"
}
# The CPU split of one run: where the 2 cores went, per request (microseconds of CPU time of
# tenant-api, Redis, PostgreSQL (postmaster + every backend) and wrk itself).
cpu_sample() { echo "$(cpu_ticks "$api_pid") $(cpu_ticks "$redis_pid") $(cpu_ticks "$pg_pid" $(pgrep -P "$pg_pid"))"; }
metrics() { curl -fs "http://127.0.0.1:$api_port/metrics" >"$1" 2>/dev/null || : >"$1"; }
# Quantiles of the histograms that grew between two /metrics scrapes -> one line per series.
cat >"$work/phases.py" <<'PY'
import re, sys
def load(path):
    out = {}
    for line in open(path):
        m = re.match(r'^(\w+)_bucket\{(.*)\} (\S+)$', line)
        if not m:
            continue
        labels = dict(re.findall(r'(\w+)="([^"]*)"', m.group(2)))
        le = labels.pop('le')
        key = (m.group(1), tuple(sorted(labels.items())))
        out.setdefault(key, []).append((float('inf') if le == '+Inf' else float(le), float(m.group(3))))
    return out
def quantile(buckets, q):
    total = buckets[-1][1]
    if total <= 0:
        return None
    rank, lo, prev = q * total, 0.0, 0.0
    for le, c in buckets:
        if c >= rank:
            if le == float('inf'):
                return lo
            return lo + (le - lo) * ((rank - prev) / (c - prev) if c > prev else 1)
        lo, prev = le, c
    return lo
before, after = load(sys.argv[1]), load(sys.argv[2])
wanted = [('http_request_phase_seconds', 'phase', None), ('db_pool_wait_seconds', None, None),
          ('db_query_duration_seconds', 'query', None), ('http_request_duration_seconds', 'route', None)]
for (name, labels), b in sorted(after.items()):
    spec = next((w for w in wanted if w[0] == name), None)
    if spec is None:
        continue
    a0 = dict(before.get((name, labels), []))
    delta = [(le, c - a0.get(le, 0.0)) for le, c in sorted(b)]
    n = delta[-1][1]
    if n < 100:
        continue
    lab = dict(labels)
    tag = lab.get(spec[1], '') if spec[1] else ''
    short = name.replace('_seconds', '').replace('http_request_', '').replace('db_', 'db_')
    print('%-40s %9d %8.2f %8.2f' % (short + ('{' + tag + '}' if tag else ''), n,
                                    quantile(delta, 0.5) * 1e3, quantile(delta, 0.99) * 1e3))
# Failures that explain slow requests: Redis timeouts (fallback limiter), pool timeouts.
def counters(path):
    out = {}
    for line in open(path):
        m = re.match(r'^((?:rate_limit_backend_errors|rate_limit_fallback_decisions|db_pool_errors)_total(?:\{[^}]*\})?) (\S+)$', line)
        if m:
            out[m.group(1)] = float(m.group(2))
    return out
c0, c1 = counters(sys.argv[1]), counters(sys.argv[2])
for k, v in sorted(c1.items()):
    if v - c0.get(k, 0.0) > 0:
        print('%-40s %9d' % (k, v - c0.get(k, 0.0)))
PY
run_wrk() {  # conns script path -> "rps p50 p99 non2xx errors api_us redis_us pg_us wrk_us load1"
  # Unreported 3 s warm-up first: the pool opens its TLS+SCRAM connections lazily.
  wrk -t2 -c"$1" -d3s --timeout 10s -s "$here/$2" "http://127.0.0.1:$api_port$3" >/dev/null
  local before after result wrk_cpu load1 tag="${2%.lua}-$1"
  load1=$(cut -d' ' -f1 /proc/loadavg)
  metrics "$work/m-$tag-before"
  before=$(cpu_sample)
  [[ -n ${BENCH_PERF_DIR:-} && $2 != api_hello.lua ]] && \
    perf record -F 499 -g -p "$api_pid" -o "$BENCH_PERF_DIR/perf-${2%.lua}-$1.data" -- sleep "$dur" >/dev/null 2>&1 &
  result=$(/usr/bin/time -f 'WRKCPU %U %S' wrk -t2 -c"$1" -d"${dur}s" --timeout 10s -s "$here/$2" "http://127.0.0.1:$api_port$3" 2>&1)
  after=$(cpu_sample)
  metrics "$work/m-$tag-after"
  python3 "$work/phases.py" "$work/m-$tag-before" "$work/m-$tag-after" >"$work/phases-$tag" 2>/dev/null || true
  wait 2>/dev/null || true
  wrk_cpu=$(awk '/^WRKCPU/ {print $2 + $3}' <<<"$result")
  awk -v b="$before" -v a="$after" -v w="$wrk_cpu" -v hz="$hz" -v l="$load1" '/^RESULT/ {
      split(b, x, " "); split(a, y, " "); n = $2 * '"$dur"'; if (n < 1) n = 1
      printf "%s %s %s %s %s %.0f %.0f %.0f %.0f %s\n", $2, $3, $4, $5, $6,
        (y[1] - x[1]) / hz * 1e6 / n, (y[2] - x[2]) / hz * 1e6 / n, (y[3] - x[3]) / hz * 1e6 / n, w * 1e6 / n, l
    }' <<<"$result"
}
run_pgbench() {  # clients mode -> "tps avg_latency_ms p50_ms p99_ms load1"
  local extra=() load1 logdir="$work/pgbench-$2-$1"
  [[ $2 == select ]] && extra=(-S)
  load1=$(cut -d' ' -f1 /proc/loadavg)
  mkdir -p "$logdir"
  # -l: one line per transaction (3rd column: latency in us) for percentiles comparable to wrk's.
  local summary
  summary=$(cd "$logdir" && pgbench -n -M prepared "${extra[@]}" -c "$1" -j 2 -T "$dur" -l pgbench 2>/dev/null |
    awk '/^latency average/ {lat=$4} /^tps/ && /without/ {tps=$3} END {print tps, lat}')
  local pct
  pct=$(cat "$logdir"/pgbench_log.* 2>/dev/null | awk '{print $3}' | sort -n |
    awk '{v[NR] = $1} END {if (NR == 0) {print "- -"; exit}
      i50 = int(NR * 0.50); if (i50 < 1) i50 = 1; i99 = int(NR * 0.99); if (i99 < 1) i99 = 1
      printf "%.3f %.3f\n", v[i50] / 1000, v[i99] / 1000}')
  rm -rf "$logdir"
  echo "$summary $pct $load1"
}

declare -A R
if want hello; then
  echo "== hello-world JSON (GET /health/live), wrk -t2 -c64"
  R[hello]=$(run_wrk 64 api_hello.lua /health/live)
fi
for c in 16 64; do
  if want "get$c"; then echo "== GET product, $c connections"; R[get$c]=$(run_wrk "$c" api_get_product.lua /api/v1/products/1); fi
  if want "post$c"; then echo "== POST order, $c connections"; R[post$c]=$(run_wrk "$c" api_post_order.lua /api/v1/orders); fi
done
rss_kb=$(cat "$work/rss_peak" 2>/dev/null || echo 0)
if want pgbench; then
  echo "== pgbench (scale 10)"
  pgbench -i -q -s 10 pgbench >/dev/null 2>&1
  for c in 16 64; do
    R[pgs$c]=$(run_pgbench "$c" select)
    R[pgt$c]=$(run_pgbench "$c" tpcb)
  done
fi

printf '\n%-34s %6s %10s %9s %9s %8s %12s %7s %6s   %s\n' scenario conns rps p50_ms p99_ms non2xx pgbench_tps ratio load1 \
  "CPU us/request: api redis pg wrk"
row() {  # name conns "rps p50 p99 non2xx err api redis pg wrk load1" "tps lat p50 p99 load1"
  [[ -n $3 ]] || return 0
  read -r rps p50 p99 bad err c_api c_redis c_pg c_wrk load1 <<<"$3"
  local tps="-" ratio="-"
  if [[ -n ${4:-} ]]; then
    read -r tps _ <<<"$4"
    # pgbench prints no tps when it failed (e.g. starved on a loaded machine): no ratio then.
    if [[ $tps =~ ^[0-9.]+$ ]]; then
      tps=$(printf '%.0f' "$tps"); ratio=$(awk -v a="$rps" -v b="$tps" 'BEGIN {printf "%.2f", a / b}')
    else
      tps="-"
    fi
  fi
  printf '%-34s %6s %10s %9s %9s %8s %12s %7s %6s   %5s %5s %5s %5s\n' "$1" "$2" "$rps" "$p50" "$p99" "$((bad + err))" "$tps" "$ratio" \
    "$load1" "$c_api" "$c_redis" "$c_pg" "$c_wrk"
}
row "hello-world GET /health/live" 64 "${R[hello]:-}"
for c in 16 64; do
  row "GET /api/v1/products/{id}" "$c" "${R[get$c]:-}" "${R[pgs$c]:-}"
  row "POST /api/v1/orders" "$c" "${R[post$c]:-}" "${R[pgt$c]:-}"
done
if want pgbench; then
  printf '\n%-34s %6s %12s %14s %9s %9s %6s\n' "pgbench" clients tps avg_latency_ms p50_ms p99_ms load1
  for c in 16 64; do
    read -r t l p5 p9 ld <<<"${R[pgs$c]}"; printf '%-34s %6s %12s %14s %9s %9s %6s\n' "-S -M prepared (select only)" "$c" "$t" "$l" "$p5" "$p9" "$ld"
    read -r t l p5 p9 ld <<<"${R[pgt$c]}"; printf '%-34s %6s %12s %14s %9s %9s %6s\n' "TPC-B-like -M prepared" "$c" "$t" "$l" "$p5" "$p9" "$ld"
  done
fi
printf '\nWhere the time went (server side, from /metrics; ms):\n'
for f in "$work"/phases-*; do
  [[ -s $f ]] || continue
  printf '  %s\n  %-40s %9s %8s %8s\n' "${f##*/phases-}" series count p50 p99
  sed 's/^/  /' "$f"
done
printf '\nload average at the end: %s\n' "$(cut -d' ' -f1-3 /proc/loadavg)"
printf 'peak RSS of tenant-api under load: %s MB (target <= 64 MB); DB_POOL_SIZE=%s; WORKER_THREADS=%s; IO_THREADS=%s; %s s per run; %s cores\n' \
  "$((rss_kb / 1024))" "$pool" "$WORKER_THREADS" "$IO_THREADS" "$dur" "$(nproc)"
