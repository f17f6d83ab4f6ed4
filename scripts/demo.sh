#!/usr/bin/env bash
# The README's first command: the product's main job on local defaults, until Ctrl-C.
#   1. installs the Debian packages (scripts/install-deps.sh), builds the release build
#      (scripts/build.sh release) and the control plane binaries (tests/cluster/build-tools.sh,
#      cached in ~/.cache/tenant-operator/tools; the first build takes ~10 minutes);
#   2. starts a real local Kubernetes control plane (etcd, kube-apiserver, controller
#      manager, scheduler, kwok fake nodes), PostgreSQL 15 with TLS and Redis 7, all on free
#      loopback ports with state in build/demo/;
#   3. installs the CRDs, RBAC and admission policy of manifests/default (all but the
#      operator Deployment: pods under kwok never execute) and runs tenant-operator as a
#      local process with a token of its ServiceAccount, i.e. with exactly that RBAC;
#   4. applies manifests/samples (a DatabaseServer with its admin and CA Secrets, two
#      Tenants) pointed at the local PostgreSQL, and shows `kubectl get tenants -w` until
#      both are Ready;
#   5. runs `tenant-api serve` per tenant with the environment of the tenant's Deployment
#      (resolved from its Secrets), logs in with <tenant>-admin, creates a product and an
#      order, and prints what a user can run next (kubectl, curl with a token, psql);
#   6. waits for Ctrl-C; Ctrl-C or any failure tears everything down.
#
# Usage: scripts/demo.sh [--check]
#   --check  do all of the above except waiting: tear down and exit 0 (non-zero on failure)
# Environment:
#   DEMO_BUILD_DIR=DIR   use DIR/operator/tenant-operator and DIR/runtime/tenant-api (any
#                        build tree, e.g. build/asan) and skip installing and building
#   DEMO_STATE_DIR=DIR   state directory (default build/demo; deleted at the end)
#   DEMO_READY_TIMEOUT=S seconds to wait for both Tenants to become Ready (default 240)
#   DEMO_KEEP_STATE=1    keep the state directory (logs) after tearing down
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
demo_lib="$repo/scripts/demo"

usage() { sed -n '2,27p' "$0" | sed 's/^# \{0,1\}//'; exit "${1:-2}"; }
check_only=0
case ${1:-} in
  --check) check_only=1 ;;
  -h | --help) usage 0 ;;
  "") ;;
  *) usage >&2 ;;
esac

started_at=$SECONDS
say() { printf '\n==> [%ss] %s\n' "$((SECONDS - started_at))" "$*"; }
fail() { printf '\ndemo.sh: FAILED: %s\n' "$*" >&2; exit 1; }
# show_tail FILE [LINES]: the end of a log, for failure messages.
show_tail() { [[ -f $1 ]] && { echo "----- last lines of $1 -----" >&2; tail -n "${2:-30}" "$1" >&2; }; return 0; }

# ---------------------------------------------------------------------------- build
tenants_ns=tenants
tenants=(acme globex) # the two Tenants of manifests/samples/tenants.yaml
redis_secret=tenant-api-redis
ready_timeout=${DEMO_READY_TIMEOUT:-240}
[[ $ready_timeout =~ ^[0-9]+$ ]] || fail "DEMO_READY_TIMEOUT must be a number of seconds"

if [[ -n ${DEMO_BUILD_DIR:-} ]]; then
  build_dir=$(cd "$DEMO_BUILD_DIR" 2>/dev/null && pwd) || fail "DEMO_BUILD_DIR=$DEMO_BUILD_DIR is not a directory"
  say "Using the binaries in $build_dir (DEMO_BUILD_DIR: no package install, no build)"
else
  say "Installing dependencies"
  bash scripts/install-deps.sh
  say "Building (release)"
  bash scripts/build.sh release
  build_dir="$repo/build/release"
fi
operator_bin="$build_dir/operator/tenant-operator"
api_bin="$build_dir/runtime/tenant-api"
for b in "$operator_bin" "$api_bin"; do
  [[ -x $b ]] || fail "$b is missing (build it: cmake --build $build_dir --target tenant-operator tenant-api)"
done
say "Building the control plane binaries (cached after the first run)"
bash tests/cluster/build-tools.sh

# ---------------------------------------------------------------------------- state
state=${DEMO_STATE_DIR:-$repo/build/demo}
[[ $state == /* ]] || state="$repo/$state"
[[ $state != *[[:space:]\'\"]* ]] || fail "DEMO_STATE_DIR must not contain spaces or quotes: $state"
# Only a directory this script made (it carries a marker) is ever deleted.
if [[ -e $state && ! -f $state/.demo-state ]] && [[ -n $(ls -A "$state" 2>/dev/null) ]]; then
  fail "$state exists and was not made by this demo.sh (no .demo-state marker): delete it or set DEMO_STATE_DIR"
fi
cluster_dir="$state/cluster" pg_dir="$state/postgres" redis_dir="$state/redis"
private="$state/private" # kubeconfigs, Secrets, env files, logs of local processes: 0700
cluster_sh="$repo/tests/cluster/cluster.sh"
postgres_sh="$repo/tests/services/postgres.sh"
redis_sh="$repo/tests/services/redis.sh"

# Local processes the demo started (operator, tenant-api, the watch): stopped by PID only.
pids=() pid_names=()
# All at once (each drains and, in an ASan build, checks for leaks at exit: seconds each),
# SIGKILL for any still running after 15 s.
stop_processes() {
  local i n pid left
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for ((n = 0; n < 150; n++)); do
    left=0
    for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && left=1; done
    ((left)) || break
    sleep 0.1
  done
  for i in "${!pids[@]}"; do
    pid=${pids[i]}
    if kill -0 "$pid" 2>/dev/null; then
      echo "${pid_names[i]} (pid $pid) ignored SIGTERM for 15s; killing" >&2
      kill -KILL "$pid" 2>/dev/null || true
    fi
    wait "$pid" 2>/dev/null || true
  done
  pids=() pid_names=()
}

stop_services() {
  # Each step runs even if another fails, so nothing is left behind.
  [[ -f $redis_dir/env ]] && { bash "$redis_sh" stop "$redis_dir" >/dev/null 2>&1 || true; }
  [[ -f $pg_dir/env ]] && { bash "$postgres_sh" stop "$pg_dir" >/dev/null 2>&1 || true; }
  [[ -d $cluster_dir ]] && { bash "$cluster_sh" down "$cluster_dir" || true; }
  return 0
}

# Leftovers of a previous demo that was killed hard. Normally there are none: its local
# processes died with it (parent-death signal), the cluster's guardian stopped the control
# plane and guard_services.sh stopped PostgreSQL and Redis.
[[ -f $state/.demo-state ]] && stop_services 2>/dev/null
rm -rf "$state"
# Everything the demo writes (kubeconfigs, Secrets, env files) is private to its user...
umask 077
mkdir -p "$state" "$private"
touch "$state/.demo-state"
# ...but as root, postgres.sh runs PostgreSQL as the OS user postgres, which must reach
# $pg_dir (postgres.sh makes that one its own, mode 0700).
chmod 0711 "$state"

# PostgreSQL and Redis run as daemons: this guard stops them if the script is killed hard.
setsid bash "$demo_lib/guard_services.sh" $$ "$state" </dev/null >>"$state/guard.log" 2>&1 &
guard_pid=$!

# The guard has nothing to clean up itself: SIGKILL, then its `sleep 1` (by PID).
stop_guard() {
  local children pid
  children=$(cat "/proc/$guard_pid/task/$guard_pid/children" 2>/dev/null) || children=""
  kill -KILL "$guard_pid" 2>/dev/null || true
  wait "$guard_pid" 2>/dev/null || true
  for pid in $children; do kill -TERM "$pid" 2>/dev/null || true; done
}

torn_down=0
teardown() {
  local rc=$?
  ((torn_down)) && return 0
  torn_down=1
  say "Tearing down"
  # Ctrl-C interrupts the wait, not the idle loop's sleep: it would outlive the demo.
  if [[ -n ${idle_sleep_pid:-} ]]; then kill "$idle_sleep_pid" 2>/dev/null || true; fi
  stop_guard
  # PostgreSQL/Redis still starting (a failure or Ctrl-C during the control plane's start):
  # let that finish (bounded by their start timeouts), so the stop below catches them.
  [[ -n ${services_pid:-} ]] && { wait "$services_pid" 2>/dev/null || true; }
  stop_processes
  stop_services
  if [[ ${DEMO_KEEP_STATE:-0} == 1 ]]; then
    echo "kept $state (DEMO_KEEP_STATE=1)"
  else
    rm -rf "$state"
  fi
  if ((rc == 0)); then echo "done [$((SECONDS - started_at))s]."; else echo "done [$((SECONDS - started_at))s] (exit status $rc)."; fi
}
trap teardown EXIT
trap 'exit 130' INT TERM

# free_port VAR: sets VAR to a free loopback port outside the ephemeral range, not used by
# any TCP socket now and not handed out before by this script (hence a variable, not
# $(...): a subshell could not remember what it handed out).
chosen_ports=" "
free_port() {
  local p taken
  taken=" $(ss -Htan | awk '{n = split($4, a, ":"); printf "%s ", a[n]}') "
  while :; do
    p=$((20000 + RANDOM % 12000))
    [[ $taken == *" $p "* || $chosen_ports == *" $p "* ]] && continue
    chosen_ports+="$p "
    printf -v "$1" '%s' "$p"
    return
  done
}

# start_process NAME LOG COMMAND...: in the background, recorded for teardown; LOG "-"
# keeps this script's stdout. The parent death signal stops it even if this script is
# killed with SIGKILL.
start_process() {
  local name=$1 log=$2
  shift 2
  if [[ $log == - ]]; then
    setpriv --pdeathsig TERM -- "$@" </dev/null &
  else
    setpriv --pdeathsig TERM -- "$@" </dev/null >"$log" 2>&1 &
  fi
  pids+=($!) pid_names+=("$name")
}
alive() { kill -0 "$1" 2>/dev/null; }
# stop_process PID: stops one recorded process now and forgets it.
stop_process() {
  kill -TERM "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
  forget_process "$1"
}
# forget_process PID: a recorded process that has been waited for (no signal: the PID
# may already belong to someone else).
forget_process() {
  local i keep=() keep_names=()
  for i in "${!pids[@]}"; do
    [[ ${pids[i]} == "$1" ]] && continue
    keep+=("${pids[i]}") keep_names+=("${pid_names[i]}")
  done
  pids=("${keep[@]}") pid_names=("${keep_names[@]}")
}

# wait_http SECONDS PID LOG URL WHAT: until URL answers 200; fails early if PID exited.
wait_http() {
  local secs=$1 pid=$2 log=$3 url=$4 what=$5 deadline=$((SECONDS + $1))
  until [[ $(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$url" 2>/dev/null) == 200 ]]; do
    alive "$pid" || { show_tail "$log"; fail "$what exited (log: $log)"; }
    ((SECONDS < deadline)) || { show_tail "$log"; fail "$what: no 200 from $url within ${secs}s"; }
    sleep 0.2
  done
}

# ---------------------------------------------------------------------------- services
# PostgreSQL and Redis start in the background while the control plane starts (their
# ports are chosen here, so no later free_port can hand them out again).
say "Starting PostgreSQL 15 (TLS, SCRAM-SHA-256) and Redis 7 (requirepass) in the background"
free_port pg_port
free_port redis_port
(bash "$postgres_sh" init "$pg_dir" "$pg_port" >/dev/null &&
  bash "$postgres_sh" start "$pg_dir" &&
  bash "$redis_sh" init "$redis_dir" "$redis_port" >/dev/null &&
  bash "$redis_sh" start "$redis_dir") </dev/null >"$state/services.log" 2>&1 &
services_pid=$!
say "Starting the local Kubernetes control plane"
# --owner-pid: the cluster's guardian tears it down even if this script is killed hard.
bash "$cluster_sh" up "$cluster_dir" --owner-pid $$
wait "$services_pid" || { services_pid=""; cat "$state/services.log" >&2; fail "PostgreSQL or Redis did not start"; }
services_pid=""
cat "$state/services.log"

# shellcheck disable=SC1091
source "$cluster_dir/env"
export KUBECONFIG KUBECTL
kubectl() { "$KUBECTL" "$@"; }

say "Kubernetes $KUBERNETES_VERSION at $APISERVER_URL"
kubectl get nodes -o wide
say "PostgreSQL"
# -P pager=off: on a terminal psql would otherwise wait in a pager.
bash "$postgres_sh" psql "$pg_dir" -X -A -t -P pager=off -c \
  "select version() || ' | TLS: ' || s.version || ' ' || s.cipher from pg_stat_ssl s where s.pid = pg_backend_pid()"
say "Redis"
bash "$redis_sh" cli "$redis_dir" PING

# ---------------------------------------------------------------------------- operator
say "Installing CRDs, RBAC and the admission policy (manifests/default without the operator Deployment)"
kubectl apply --server-side -k "$demo_lib/operator-local"
kubectl wait --for=condition=Established --timeout=60s \
  crd/tenants.tenancy.erp.dev crd/databaseservers.tenancy.erp.dev >/dev/null

operator_sa=system:serviceaccount:tenant-operator-system:tenant-operator
bash "$cluster_sh" mint-kubeconfig "$cluster_dir" tenant-operator-system tenant-operator \
  "$private/operator.kubeconfig" 24h
echo "operator kubeconfig: $private/operator.kubeconfig (token of $operator_sa)"

# The Redis URL for the tenant API pods, in the tenants' namespace (the operator's
# --redis-secret). From a file, so the password never is on a command line.
kubectl create namespace "$tenants_ns"
(umask 077 && . "$redis_dir/env" && printf '%s' "$REDIS_URL" >"$private/redis-url")
kubectl -n "$tenants_ns" create secret generic "$redis_secret" --from-file=url="$private/redis-url"

version=$("$operator_bin" --version | awk 'NR == 1 {print $NF}')
free_port metrics_port
free_port health_port
operator_log="$private/tenant-operator.log"
operator_args=(
  --kubeconfig="$private/operator.kubeconfig"
  --leader-elect --leader-election-namespace=tenant-operator-system
  --metrics-bind-address="127.0.0.1:$metrics_port"
  --health-probe-bind-address="127.0.0.1:$health_port"
  --redis-secret="$redis_secret"
  --default-tenant-api-image="tenant-api:$version"
  --graceful-shutdown-timeout=5s
)
say "Starting tenant-operator as a local process (as $operator_sa)"
echo "$operator_bin ${operator_args[*]}"
start_process tenant-operator "$operator_log" "$operator_bin" "${operator_args[@]}"
operator_pid=${pids[-1]}
wait_http 60 "$operator_pid" "$operator_log" "http://127.0.0.1:$health_port/readyz" "tenant-operator"
echo "tenant-operator ready (pid $operator_pid): /metrics on 127.0.0.1:$metrics_port, /healthz and /readyz on 127.0.0.1:$health_port, log $operator_log"

# ---------------------------------------------------------------------------- samples
# manifests/samples as a user applies them, with a kustomize overlay that points them at
# the local PostgreSQL: its admin login and CA replace the placeholder Secrets, and the
# DatabaseServer's host/port are patched. Nothing else changes.
samples="$private/samples"
mkdir -p "$samples"
(umask 077
 . "$pg_dir/env"
 printf 'username=%s\npassword=%s\n' "$PGUSER" "$PGPASSWORD" >"$samples/pg-admin.env"
 cp "$PGSSLROOTCERT" "$samples/ca.crt")
cat >"$samples/kustomization.yaml" <<EOF
# Generated by scripts/demo.sh: manifests/samples pointed at the demo's PostgreSQL.
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - $(realpath --relative-to="$samples" "$repo/manifests/samples")
generatorOptions:
  disableNameSuffixHash: true
secretGenerator:
  - name: pg-admin
    namespace: db
    behavior: replace
    type: kubernetes.io/basic-auth
    envs: [pg-admin.env]
  - name: pg-ca
    namespace: db
    behavior: replace
    files: [ca.crt]
patches:
  - target: {kind: DatabaseServer, name: main}
    patch: |-
      - {op: replace, path: /spec/host, value: localhost}
      - {op: replace, path: /spec/port, value: $pg_port}
EOF
say "Applying manifests/samples (DatabaseServer main -> localhost:$pg_port, Tenants ${tenants[*]})"
kubectl apply --server-side -k "$samples"

# ---------------------------------------------------------------------------- progress
say "Waiting for the Tenants to become Ready (kubectl -n $tenants_ns get tenants -o wide -w)"
start_process "kubectl get tenants -w" - \
  "$KUBECTL" -n "$tenants_ns" get tenants -o wide -w
watch_pid=${pids[-1]}

# Ready=True at the current generation for every Tenant; a Stalled one fails at once.
tenants_state() {
  kubectl -n "$tenants_ns" get tenants -o json | jq -r '
    def cond(t): [.status.conditions[]? | select(.type == t)][0];
    [.items[] | {name: .metadata.name,
                 ready: (cond("Ready").status == "True" and .status.observedGeneration == .metadata.generation),
                 stalled: (cond("Stalled").status == "True"),
                 why: ((cond("Ready").reason // "") + ": " + (cond("Ready").message // "no status yet"))}]
    | if any(.stalled) then "stalled " + ([.[] | select(.stalled) | .name + " (" + .why + ")"] | join(", "))
      elif length == 0 then "none"
      elif all(.ready) then "ready"
      else "waiting " + ([.[] | select(.ready | not) | .name + " (" + .why + ")"] | join(", ")) end'
}
deadline=$((SECONDS + ready_timeout)) wait_started=$SECONDS
while :; do
  st=$(tenants_state 2>/dev/null) || st="waiting (API error)"
  [[ $st == ready ]] && break
  if [[ $st == stalled* ]] || ((SECONDS >= deadline)) || ! alive "$operator_pid"; then
    stop_process "$watch_pid"
    kubectl get databaseservers -o wide >&2 || true
    kubectl -n "$tenants_ns" describe tenants >&2 || true
    show_tail "$operator_log" 40
    alive "$operator_pid" || fail "tenant-operator exited (log above)"
    [[ $st == stalled* ]] && fail "Tenant $st"
    fail "the Tenants were not Ready within ${ready_timeout}s: $st"
  fi
  sleep 1
done
sleep 0.5 # let the watch print the last transition
stop_process "$watch_pid"
echo "both Tenants Ready $((SECONDS - wait_started))s after applying the samples"
say "What the operator made"
kubectl get databaseservers -o wide
kubectl -n "$tenants_ns" get deployments,services,poddisruptionbudgets,networkpolicies,secrets
echo "(the Deployments' pods are kwok's: they report Running but nothing executes in them,"
echo " so the next step runs each tenant's API as a local process)"

# ---------------------------------------------------------------------------- tenant-api
# Each tenant's Deployment env resolved from its Secrets (scripts/demo/tenant_env.py), with
# three local changes: its own free PORT, BIND_ADDRESS=127.0.0.1, and
# ENVIRONMENT=development, because production mode rightly refuses a database on
# localhost/127.0.0.1, which is where the demo's PostgreSQL is.
declare -A api_port api_pid
say "Running tenant-api per tenant with the environment of its Deployment, resolved from its Secrets"
echo "changed for local processes: PORT (a free port each), BIND_ADDRESS=127.0.0.1 and"
echo "ENVIRONMENT=development (production mode refuses a database on localhost/127.0.0.1,"
echo "which is where the demo's PostgreSQL runs; TLS verify-full and the rest stay as deployed)"
kubectl -n "$tenants_ns" get secrets -o json >"$private/secrets.json"
for t in "${tenants[@]}"; do
  tdir="$private/$t"
  mkdir -p "$tdir"
  kubectl -n "$tenants_ns" get deployment "$t-api" -o json >"$tdir/deployment.json"
  free_port port
  api_port[$t]=$port
  /usr/bin/python3 "$demo_lib/tenant_env.py" "$tdir/deployment.json" "$private/secrets.json" "$tdir/files" \
    --set PORT="${api_port[$t]}" --set BIND_ADDRESS=127.0.0.1 --set ENVIRONMENT=development >"$tdir/env"
  echo "tenant-api for $t on 127.0.0.1:${api_port[$t]}, env of Deployment $tenants_ns/$t-api: $(sed 's/^export \([A-Z_]*\)=.*/\1/' "$tdir/env" | tr '\n' ' ')"
  # A clean environment like a container's: only the Deployment's variables (plus PATH and
  # the sanitizer options of an ASan build).
  start_process "tenant-api $t" "$tdir/tenant-api.log" env -i PATH="$PATH" \
    ${ASAN_OPTIONS:+ASAN_OPTIONS="$ASAN_OPTIONS"} ${UBSAN_OPTIONS:+UBSAN_OPTIONS="$UBSAN_OPTIONS"} \
    bash -c 'set -a; . "$1"; exec "$2" serve' tenant-env "$tdir/env" "$api_bin"
  api_pid[$t]=${pids[-1]}
done
for t in "${tenants[@]}"; do
  wait_http 60 "${api_pid[$t]}" "$private/$t/tenant-api.log" "http://127.0.0.1:${api_port[$t]}/health/ready" "tenant-api for $t"
  echo "tenant-api for $t ready (pid ${api_pid[$t]}): http://127.0.0.1:${api_port[$t]}, log $private/$t/tenant-api.log"
done

say "Using the ERP API of each tenant (admin login from Secret <tenant>-admin, a product, an order)"
# Both tenants at once (each login checks a bcrypt hash: slow in a sanitizer build), the
# output printed per tenant.
declare -A client_pid
for t in "${tenants[@]}"; do
  start_process "ERP client of $t" "$private/$t/client.out" \
    bash "$demo_lib/erp_walkthrough.sh" "$t" "$tenants_ns" "http://127.0.0.1:${api_port[$t]}" "$private/$t/client"
  client_pid[$t]=${pids[-1]}
done
for t in "${tenants[@]}"; do
  rc=0
  wait "${client_pid[$t]}" || rc=$?
  forget_process "${client_pid[$t]}"
  cat "$private/$t/client.out"
  ((rc == 0)) || { show_tail "$private/$t/tenant-api.log"; fail "the ERP round trip of $t failed"; }
done

say "Each tenant's own database, read with the credentials of its Secret <tenant>-db"
for t in "${tenants[@]}"; do
  # libpq variables rather than the URI on the command line: the password stays off argv.
  (eval "$(kubectl -n "$tenants_ns" get secret "$t-db" -o json | jq -r '.data | map_values(@base64d) |
      "export PGHOST=\(.host|@sh) PGPORT=\(.port|@sh) PGDATABASE=\(.dbname|@sh) PGUSER=\(.username|@sh) PGPASSWORD=\(.password|@sh) PGSSLMODE=\(.sslmode|@sh)"')"
   export PGSSLROOTCERT="$private/$t/files/etc/tenant-db/ca.crt" PGCONNECT_TIMEOUT=10
   printf '  %s: ' "$t"
   "${PG_BIN:-/usr/lib/postgresql/15/bin}/psql" -X -A -t -P pager=off -F ' ' -c "select 'database ' || current_database() || ' as ' || current_user ||
       ': ' || (select count(*) from products) || ' product(s), ' || (select count(*) from orders) || ' order(s)'") ||
    fail "psql as tenant $t failed"
done

# ---------------------------------------------------------------------------- next steps
first=${tenants[0]}
cat <<EOF

==> Everything is up ($((SECONDS - started_at))s). In another shell:

  Kubernetes (admin; kubectl $KUBERNETES_VERSION from the control plane build):
    export KUBECONFIG=$KUBECONFIG PATH=$cluster_dir/bin:\$PATH
    kubectl get databaseservers,tenants -A -o wide
    kubectl -n $tenants_ns describe tenant $first
    kubectl -n $tenants_ns get deployments,services,secrets
    kubectl get events -n $tenants_ns --sort-by=.lastTimestamp
  What the operator may do (its ServiceAccount's RBAC, the same the process runs with):
    kubectl auth can-i --list --as=$operator_sa
  The operator (pid $operator_pid, log $operator_log):
    curl -s http://127.0.0.1:$metrics_port/metrics | grep ^controller_runtime_reconcile_total

  tenant-api of $first: http://127.0.0.1:${api_port[$first]} (log $private/$first/tenant-api.log); with a token:
    TOKEN=\$(kubectl -n $tenants_ns get secret $first-admin -o json | jq '.data | map_values(@base64d)' |
      curl -s -X POST http://127.0.0.1:${api_port[$first]}/api/v1/auth/token -H 'Content-Type: application/json' -d @- | jq -r .access_token)
    curl -s -H "Authorization: Bearer \$TOKEN" http://127.0.0.1:${api_port[$first]}/api/v1/orders | jq
EOF
for t in "${tenants[@]:1}"; do
  echo "  tenant-api of $t: http://127.0.0.1:${api_port[$t]} (same commands with $t-admin)"
done
cat <<EOF

  psql as tenant $first (Secret $first-db; the CA is its ca.crt key):
    kubectl -n $tenants_ns get secret $first-db -o jsonpath='{.data.ca\.crt}' | base64 -d >/tmp/$first-ca.crt
    PGSSLROOTCERT=/tmp/$first-ca.crt psql "\$(kubectl -n $tenants_ns get secret $first-db -o jsonpath='{.data.uri}' | base64 -d)" -c '\\dt'

  PostgreSQL superuser / Redis: (. $pg_dir/env && psql), (. $redis_dir/env && redis-cli -p \$REDIS_PORT)

EOF

if ((check_only)); then
  echo "demo.sh --check: everything worked; tearing down."
  exit 0
fi
echo "Press Ctrl-C to stop and tear everything down."
# sleep in the background + wait, so Ctrl-C is handled at once rather than after a sleep.
while :; do
  for i in "${!pids[@]}"; do
    alive "${pids[i]}" || fail "${pid_names[i]} (pid ${pids[i]}) exited; see the logs under $private"
  done
  sleep 5 &
  idle_sleep_pid=$!
  wait "$idle_sleep_pid" || true
done
