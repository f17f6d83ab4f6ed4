#!/usr/bin/env bash
# Stops the demo's PostgreSQL and Redis when the demo script dies without tearing down
# (SIGKILL, a closed terminal). Its other pieces need no help: the control plane has its
# own guardian (cluster.sh --owner-pid) and the local processes run with a parent-death
# signal. A normal teardown stops this guard first (SIGKILL by its PID).
#
# Usage: guard_services.sh OWNER_PID STATE_DIR   (started detached by scripts/demo.sh)
set -uo pipefail
owner=${1:?owner pid} state=${2:?state dir}
here=$(cd "$(dirname "$0")/../.." && pwd)
# The owner's start time makes a recycled PID count as gone; a zombie counts as gone too.
stat_field() { sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f"$2"; }
started=$(stat_field "$owner" 20)
[[ -n $started ]] || exit 0
# No trap here: the demo's own teardown ends this guard with SIGKILL (and its sleep by
# PID), which needs no cooperation from a shell that may be in the middle of anything.
while [[ $(stat_field "$owner" 20) == "$started" && $(stat_field "$owner" 1) != Z ]]; do
  sleep 1
done
echo "$(date -u +%FT%TZ) demo.sh (pid $owner) is gone; stopping Redis and PostgreSQL of $state"
[[ -f $state/redis/env ]] && bash "$here/tests/services/redis.sh" stop "$state/redis"
[[ -f $state/postgres/env ]] && bash "$here/tests/services/postgres.sh" stop "$state/postgres"
exit 0
