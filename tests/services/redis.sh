#!/usr/bin/env bash
# A throw-away Redis 7 for tests and the local demo: requirepass (random), bound to
# 127.0.0.1:PORT only, no persistence (no RDB, no AOF), working directory DIR.
#
#   redis.sh init   DIR PORT   write DIR/redis.conf and DIR/env
#   redis.sh run    DIR        run the server in the foreground (exec; logs to stdout)
#   redis.sh start  DIR        start in the background (log: DIR/server.log), wait until ready
#   redis.sh stop   DIR        stop a server started with `start`
#   redis.sh status DIR        exit 0 when AUTH + PING succeed
#   redis.sh info   DIR        print host, port (not the password)
#   redis.sh cli    DIR [ARGS] redis-cli authenticated as the default user
#
# DIR/env (mode 0600) holds REDIS_HOST, REDIS_PORT, REDIS_PASSWORD, REDIS_URL and
# REDISCLI_AUTH (so `. DIR/env && redis-cli -p "$REDIS_PORT"` is authenticated). The
# password is written nowhere else except DIR/redis.conf (also 0600).
set -euo pipefail

REDIS_SERVER=${REDIS_SERVER:-redis-server}
REDIS_CLI=${REDIS_CLI:-redis-cli}

die() { echo "redis.sh: $*" >&2; exit 1; }
usage() { sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }

(($# >= 2)) || usage
cmd=$1
dir=$2
[[ $dir == /* ]] || dir="$PWD/$dir"
[[ $dir != *"'"* && $dir != *" "* && $dir != *'"'* ]] || die "DIR must not contain quotes or spaces: $dir"

need_init() { [[ -f $dir/redis.conf && -f $dir/env ]] || die "$dir is not initialized (run: redis.sh init DIR PORT)"; }

cmd_init() {
  local port=${1:-}
  [[ $port =~ ^[0-9]+$ ]] || die "init needs a numeric PORT"
  [[ -e $dir/redis.conf ]] && die "$dir/redis.conf already exists"
  mkdir -p "$dir"
  local password
  password=$(openssl rand -hex 24)
  (umask 077 && cat >"$dir/redis.conf" <<CONF
# tests/services/redis.sh
bind 127.0.0.1
port $port
protected-mode yes
requirepass $password
dir $dir
daemonize no
logfile ""
# no persistence: test data is disposable
save ""
appendonly no
databases 16
CONF
  )
  (umask 077 && cat >"$dir/env" <<ENV
export REDIS_HOST='127.0.0.1'
export REDIS_PORT='$port'
export REDIS_PASSWORD='$password'
export REDISCLI_AUTH='$password'
export REDIS_URL='redis://:$password@127.0.0.1:$port/0'
ENV
  )
  cmd_info
}

cmd_info() {
  need_init
  # shellcheck disable=SC1091
  (. "$dir/env" && echo "redis: host=$REDIS_HOST port=$REDIS_PORT (password: REDIS_PASSWORD in $dir/env)")
}

cmd_run() {
  need_init
  exec "$REDIS_SERVER" "$dir/redis.conf"
}

ping() {
  # shellcheck disable=SC1091
  (. "$dir/env" && [[ $("$REDIS_CLI" -h "$REDIS_HOST" -p "$REDIS_PORT" ping 2>/dev/null) == PONG ]])
}

cmd_start() {
  need_init
  "$REDIS_SERVER" "$dir/redis.conf" --daemonize yes --pidfile "$dir/redis.pid" \
    --logfile "$dir/server.log"
  for _ in $(seq 1 200); do
    ping && { cmd_info; return 0; }
    sleep 0.05
  done
  [[ -f $dir/server.log ]] && tail -n 30 "$dir/server.log" >&2
  die "server did not become ready within 10s"
}

cmd_stop() {
  [[ -f $dir/redis.pid ]] || die "no $dir/redis.pid (was it started with 'redis.sh start'?)"
  local pid
  pid=$(cat "$dir/redis.pid")
  kill -TERM "$pid" 2>/dev/null || return 0
  for _ in $(seq 1 200); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.05
  done
  kill -KILL "$pid" 2>/dev/null || true
}

cmd_cli() {
  need_init
  # shellcheck disable=SC1091
  . "$dir/env"
  exec "$REDIS_CLI" -h "$REDIS_HOST" -p "$REDIS_PORT" "$@"
}

shift 2
case "$cmd" in
  init) cmd_init "$@" ;;
  run) cmd_run ;;
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) need_init; ping ;;
  info) cmd_info ;;
  cli) cmd_cli "$@" ;;
  *) usage ;;
esac
