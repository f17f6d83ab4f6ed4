#!/usr/bin/env bash
# The README's first command: sets everything up on a fresh Debian 12 machine and runs the
# local environment until Ctrl-C, then tears it all down.
#   1. installs the Debian packages (scripts/install-deps.sh), builds the release build
#      (scripts/build.sh release) and the control plane binaries (tests/cluster/build-tools.sh,
#      cached in ~/.cache/tenant-operator/tools; the first build takes ~10 minutes);
#   2. starts a real local Kubernetes control plane (etcd, kube-apiserver, controller
#      manager, scheduler, kwok fake nodes), PostgreSQL 15 with TLS and Redis 7, all on free
#      loopback ports with state in build/demo/;
#   3. shows that they answer and how to use them, then waits for Ctrl-C.
# Foundation form: the operator and tenant-api are built but not deployed yet.
#
# Usage: scripts/demo.sh [--check]   (--check: set up, show, tear down, exit; no waiting)
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD

check_only=0
case ${1:-} in
  --check) check_only=1 ;;
  "") ;;
  *) echo "usage: scripts/demo.sh [--check]" >&2; exit 2 ;;
esac

say() { printf '\n==> %s\n' "$*"; }

say "Installing dependencies"
bash scripts/install-deps.sh
say "Building (release)"
bash scripts/build.sh release
say "Building the control plane binaries (cached after the first run)"
bash tests/cluster/build-tools.sh

state="$repo/build/demo"
cluster_dir="$state/cluster" pg_dir="$state/postgres" redis_dir="$state/redis"
cluster_sh="$repo/tests/cluster/cluster.sh"
postgres_sh="$repo/tests/services/postgres.sh"
redis_sh="$repo/tests/services/redis.sh"

stop_all() {
  # Each step runs even if another fails, so nothing is left behind.
  [[ -f $redis_dir/env ]] && { bash "$redis_sh" stop "$redis_dir" >/dev/null 2>&1 || true; }
  [[ -f $pg_dir/env ]] && { bash "$postgres_sh" stop "$pg_dir" >/dev/null 2>&1 || true; }
  [[ -d $cluster_dir ]] && { bash "$cluster_sh" down "$cluster_dir" || true; }
  return 0
}

# Leftovers of a previous demo that was killed hard.
stop_all 2>/dev/null
rm -rf "$state"
mkdir -p "$state"

torn_down=0
teardown() {
  ((torn_down)) && return 0
  torn_down=1
  say "Tearing down"
  stop_all
  rm -rf "$state"
  echo "done."
}
trap teardown EXIT
trap 'exit 130' INT TERM

# Free loopback ports outside the ephemeral range, not used by any TCP socket now.
free_port() {
  local p taken
  taken=" $(ss -Htan | awk '{n = split($4, a, ":"); printf "%s ", a[n]}') "
  while :; do
    p=$((20000 + RANDOM % 12000))
    [[ $taken == *" $p "* ]] || { echo "$p"; return; }
  done
}

say "Starting the local Kubernetes control plane"
# --owner-pid: the cluster's guardian tears it down even if this script is killed hard.
bash "$cluster_sh" up "$cluster_dir" --owner-pid $$
say "Starting PostgreSQL 15 (TLS, SCRAM-SHA-256)"
bash "$postgres_sh" init "$pg_dir" "$(free_port)" >/dev/null
bash "$postgres_sh" start "$pg_dir"
say "Starting Redis 7 (requirepass)"
bash "$redis_sh" init "$redis_dir" "$(free_port)" >/dev/null
bash "$redis_sh" start "$redis_dir"

# shellcheck disable=SC1091
source "$cluster_dir/env"
kubectl_cmd="$cluster_dir/bin/kubectl"

say "Kubernetes $KUBERNETES_VERSION at $APISERVER_URL"
"$kubectl_cmd" --kubeconfig "$KUBECONFIG" get nodes -o wide
say "PostgreSQL"
# -P pager=off: on a terminal psql would otherwise wait in a pager.
bash "$postgres_sh" psql "$pg_dir" -X -A -t -P pager=off -c \
  "select version() || ' | TLS: ' || s.version || ' ' || s.cipher from pg_stat_ssl s where s.pid = pg_backend_pid()"
say "Redis"
bash "$redis_sh" cli "$redis_dir" PING

pg_port=$(. "$pg_dir/env" && echo "$PGPORT")
pg_user=$(. "$pg_dir/env" && echo "$PGUSER")
pg_ca=$(. "$pg_dir/env" && echo "$PGSSLROOTCERT")
redis_port=$(. "$redis_dir/env" && echo "$REDIS_PORT")
cat <<EOF

==> Everything is up. In another shell:

  Kubernetes (admin):
    export KUBECONFIG=$KUBECONFIG
    $kubectl_cmd get nodes
    $kubectl_cmd get pods -A

  PostgreSQL (password is PGPASSWORD in $pg_dir/env, mode 0600):
    (. $pg_dir/env && psql "host=localhost port=$pg_port user=$pg_user dbname=postgres sslmode=verify-full sslrootcert=$pg_ca")

  Redis (password in $redis_dir/env):
    (. $redis_dir/env && redis-cli -h 127.0.0.1 -p $redis_port PING)

  Built (not yet deployed into this environment; later issues add that):
    $("$repo/build/release/operator/tenant-operator" --version 2>&1 | head -n 1)
    $("$repo/build/release/runtime/tenant-api" --version 2>&1 | head -n 1)

EOF

if ((check_only)); then
  exit 0
fi
echo "Press Ctrl-C to stop and tear everything down."
# sleep in the background + wait, so Ctrl-C is handled at once rather than after a sleep.
while :; do
  sleep 3600 &
  wait $! || true
done
