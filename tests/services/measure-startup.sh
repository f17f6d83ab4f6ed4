#!/usr/bin/env bash
# Prints how long the test services take to come up, the way the harness starts them:
# `init` (certificates + initdb + config / redis.conf) and `start` until a login works.
#   tests/services/measure-startup.sh [RUNS]     (default 5)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
runs=${1:-5}

work=$(mktemp -d)
chmod 711 "$work"  # the postgres OS user must reach its directory inside
cleanup() {
  for d in "$work"/pg*; do [[ -f $d/data/postmaster.pid ]] && bash "$here/postgres.sh" stop "$d" >/dev/null 2>&1; done
  for d in "$work"/redis*; do [[ -f $d/redis.pid ]] && bash "$here/redis.sh" stop "$d" >/dev/null 2>&1; done
  rm -rf "$work"
}
trap cleanup EXIT

port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
ms() { date +%s%3N; }

# stats NAME values... -> "NAME  min  median  max" in ms
stats() {
  local name=$1; shift
  printf '%s\n' "$@" | sort -n | awk -v name="$name" '{ v[NR] = $1 }
    END { printf "%-28s %8d %8d %8d\n", name, v[1], v[int((NR + 1) / 2)], v[NR] }'
}

pg_init=() pg_start=() redis_init=() redis_start=()
for i in $(seq 1 "$runs"); do
  t0=$(ms); bash "$here/postgres.sh" init "$work/pg$i" "$(port)" >/dev/null; t1=$(ms)
  bash "$here/postgres.sh" start "$work/pg$i" >/dev/null; t2=$(ms)
  bash "$here/postgres.sh" psql "$work/pg$i" -Atc 'select 1' >/dev/null
  bash "$here/postgres.sh" stop "$work/pg$i"
  pg_init+=($((t1 - t0))) pg_start+=($((t2 - t1)))

  t0=$(ms); bash "$here/redis.sh" init "$work/redis$i" "$(port)" >/dev/null; t1=$(ms)
  bash "$here/redis.sh" start "$work/redis$i" >/dev/null; t2=$(ms)
  bash "$here/redis.sh" stop "$work/redis$i"
  redis_init+=($((t1 - t0))) redis_start+=($((t2 - t1)))
done

echo "service start-up over $runs runs, ms (load average: $(cut -d' ' -f1-3 /proc/loadavg))"
printf '%-28s %8s %8s %8s\n' step min median max
stats "postgres init (certs+initdb)" "${pg_init[@]}"
stats "postgres start (until ready)" "${pg_start[@]}"
stats "redis init" "${redis_init[@]}"
stats "redis start (until PONG)" "${redis_start[@]}"
