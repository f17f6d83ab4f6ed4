#!/usr/bin/env bash
# A real, local Kubernetes control plane for tests and the demo: etcd, kube-apiserver,
# kube-controller-manager, kube-scheduler and kwok (fake Nodes that run fake Pods), all on
# free loopback ports, all state in one directory. Binaries come from build-tools.sh.
#
#   cluster.sh up DIR [--owner-pid PID|parent] [--apiserver-arg ARG]...
#   cluster.sh down DIR
#   cluster.sh restart-apiserver DIR | stop-apiserver DIR | start-apiserver DIR
#   cluster.sh restart-etcd DIR | stop-etcd DIR | start-etcd DIR
#   cluster.sh stop DIR COMPONENT | start DIR COMPONENT   (etcd kube-apiserver
#              kube-controller-manager kube-scheduler kwok)
#   cluster.sh compact-etcd DIR            (compacts etcd to its current revision; prints it)
#   cluster.sh mint-kubeconfig DIR NAMESPACE SERVICEACCOUNT OUT [DURATION]
#   cluster.sh status DIR
#
# After `up`, DIR holds admin.kubeconfig (cluster-admin via a client certificate), env
# (KEY=VALUE lines: ports, URLs, paths), bin -> the cached binaries, pki/, logs/, run/.
# --owner-pid starts a guardian that tears the cluster down when that process dies
# ("parent" = the process that ran `up`, e.g. ctest), so an interrupted run leaves nothing;
# if DIR contains a file .remove-with-owner, the guardian then also deletes DIR.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
self="$here/cluster.sh"
components=(etcd kube-apiserver kube-controller-manager kube-scheduler kwok)
fake_nodes=(kwok-node-0 kwok-node-1)
service_cidr=10.96.0.0/16
service_ip=10.96.0.1 # first address of service_cidr: the in-cluster "kubernetes" Service
pod_cidr=10.244.0.0/16

die() { echo "cluster.sh: $*" >&2; exit 1; }
log() { echo "cluster.sh: $*" >&2; }
usage() { sed -n '2,19p' "$self" | sed 's/^# \{0,1\}//' >&2; exit 2; }

# ---------------------------------------------------------------------------- state dir
set_dir() {
  [[ -n ${1:-} ]] || usage
  [[ $1 != *[[:space:]]* ]] || die "state dir must not contain whitespace: '$1'"
  mkdir -p "$1"
  dir=$(cd "$1" && pwd)
  pki="$dir/pki" run="$dir/run" logs="$dir/logs"
}

load_env() {
  [[ -f "$dir/env" ]] || die "no cluster in $dir (missing env; run 'cluster.sh up $dir')"
  # shellcheck disable=SC1091
  source "$dir/env"
  bin=$TENANT_CLUSTER_BIN
}

kubectl_admin() { "$bin/kubectl" --kubeconfig "$dir/admin.kubeconfig" "$@"; }

# ---------------------------------------------------------------------------- processes
# A process is "ours" only if it is alive (not a zombie) and its command line mentions the
# state dir; this guards against signalling an unrelated process that reused the PID.
pid_of() { [[ -f "$run/$1.pid" ]] && cat "$run/$1.pid" || true; }
is_ours() {
  local pid=$1 state cmdline
  [[ -n $pid && -r /proc/$pid/stat ]] || return 1
  state=$(sed 's/^.*) //' "/proc/$pid/stat" 2>/dev/null | cut -d' ' -f1) || return 1
  [[ -n $state ]] || return 1
  [[ $state != Z ]] || return 1
  # Every component's arguments (and the guardian's) contain "$dir/" or "$dir ".
  cmdline=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null) || return 1
  [[ $cmdline == *"$dir/"* || $cmdline == *"$dir "* ]]
}

# Starts component $1 with the arguments saved in run/$1.args (NUL-separated, so a restart
# reuses exactly the same flags and ports). setsid detaches it from the caller's session and
# terminal: it must outlive the `up` process (a CTest fixture step), and Ctrl-C must reach
# only the owner, whose death the guardian turns into an orderly teardown.
start_component() {
  local name=$1 args=()
  if is_ours "$(pid_of "$name")"; then log "$name already running"; return 0; fi
  mapfile -d '' -t args <"$run/$name.args"
  rm -f "$run/$name.pid"
  echo "=== $(date -u +%FT%TZ) starting $name" >>"$logs/$name.log"
  setsid bash -c 'echo $$ >"$1"; shift; exec "$@"' start "$run/$name.pid" "$bin/$name" "${args[@]}" \
    </dev/null >>"$logs/$name.log" 2>&1 &
  local i
  for ((i = 0; i < 50; i++)); do [[ -s "$run/$name.pid" ]] && return 0; sleep 0.1; done
  die "$name did not start (see $logs/$name.log)"
}

# SIGTERM, then SIGKILL after a grace period. Polls /proc because the process is not our
# child (it was detached by setsid) and may linger as a zombie if nobody reaps it.
stop_pid() {
  local pid=$1 what=$2 i
  is_ours "$pid" || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < 150; i++)); do is_ours "$pid" || return 0; sleep 0.1; done
  log "$what (pid $pid) ignored SIGTERM for 15s; killing"
  kill -KILL "$pid" 2>/dev/null || true
  for ((i = 0; i < 50; i++)); do is_ours "$pid" || return 0; sleep 0.1; done
  log "$what (pid $pid) is still alive after SIGKILL"
  return 1
}

stop_component() {
  stop_pid "$(pid_of "$1")" "$1"
  rm -f "$run/$1.pid"
}

save_args() { local name=$1; shift; printf '%s\0' "$@" >"$run/$name.args"; }

# ---------------------------------------------------------------------------- ports
# Free loopback ports outside the kernel's ephemeral range (so a client socket cannot grab
# one between choosing and binding), avoiding every port that has any TCP socket now.
pick_ports() {
  local n=$1 taken p chosen=()
  taken=" $(ss -Htan | awk '{n = split($4, a, ":"); printf "%s ", a[n]}') "
  while ((${#chosen[@]} < n)); do
    p=$((20000 + RANDOM % 12000))
    [[ $taken == *" $p "* || " ${chosen[*]} " == *" $p "* ]] && continue
    chosen+=("$p")
  done
  echo "${chosen[@]}"
}

# ---------------------------------------------------------------------------- certificates
new_key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }

# issue NAME SUBJECT EXT_KEY_USAGE [SUBJECT_ALT_NAMES]: key + certificate signed by the CA.
issue() {
  local name=$1 subject=$2 eku=$3 san=${4:-}
  new_key "$pki/$name.key"
  openssl req -new -key "$pki/$name.key" -subj "$subject" -out "$pki/$name.csr" 2>/dev/null
  {
    echo "basicConstraints=critical,CA:FALSE"
    echo "keyUsage=critical,digitalSignature,keyEncipherment"
    echo "extendedKeyUsage=$eku"
    [[ -n $san ]] && echo "subjectAltName=$san"
  } >"$pki/$name.ext"
  openssl x509 -req -in "$pki/$name.csr" -CA "$pki/ca.crt" -CAkey "$pki/ca.key" \
    -set_serial "0x$(openssl rand -hex 16)" -days 3650 -extfile "$pki/$name.ext" \
    -out "$pki/$name.crt" 2>/dev/null
  rm -f "$pki/$name.csr" "$pki/$name.ext"
}

make_pki() {
  mkdir -p "$pki"
  new_key "$pki/ca.key"
  openssl req -x509 -new -key "$pki/ca.key" -subj "/CN=tenant-operator-local-cluster-ca" -days 3650 \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -out "$pki/ca.crt" 2>/dev/null
  issue apiserver "/CN=kube-apiserver" serverAuth \
    "DNS:localhost,IP:127.0.0.1,IP:$service_ip,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local"
  # Client identities. admin is in system:masters (cluster-admin, bypasses RBAC); the
  # controller manager and scheduler use their RBAC-bootstrapped user names, so RBAC is
  # exercised for them exactly as in a real cluster.
  issue admin "/O=system:masters/CN=tenant-local-admin" clientAuth
  issue kube-controller-manager "/CN=system:kube-controller-manager" clientAuth
  issue kube-scheduler "/CN=system:kube-scheduler" clientAuth
  # kwok writes status for Nodes and Pods of many nodes, which the Node authorizer would
  # refuse to a single node identity; it plays the role of all kubelets, so it gets admin.
  issue kwok "/O=system:masters/CN=kwok" clientAuth
  # ServiceAccount token signing key pair.
  openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$pki/sa.key" 2>/dev/null
  openssl pkey -in "$pki/sa.key" -pubout -out "$pki/sa.pub" 2>/dev/null
  chmod 600 "$pki"/*.key
}

# write_kubeconfig OUT USER (--cert NAME | --token TOKEN): self-contained (data embedded).
write_kubeconfig() {
  local out=$1 user=$2 kind=$3 value=$4 tmp
  tmp=$(mktemp "$out.XXXXXX")
  {
    echo "apiVersion: v1"
    echo "kind: Config"
    echo "clusters:"
    echo "- name: local"
    echo "  cluster:"
    echo "    server: $APISERVER_URL"
    echo "    certificate-authority-data: $(base64 -w0 "$pki/ca.crt")"
    echo "users:"
    echo "- name: $user"
    echo "  user:"
    if [[ $kind == --cert ]]; then
      echo "    client-certificate-data: $(base64 -w0 "$pki/$value.crt")"
      echo "    client-key-data: $(base64 -w0 "$pki/$value.key")"
    else
      echo "    token: $value"
    fi
    echo "contexts:"
    echo "- name: local"
    echo "  context:"
    echo "    cluster: local"
    echo "    user: $user"
    echo "current-context: local"
  } >"$tmp"
  chmod 600 "$tmp"
  mv "$tmp" "$out"
}

# ---------------------------------------------------------------------------- readiness
wait_for() { # wait_for SECONDS WHAT COMMAND...
  local secs=$1 what=$2 deadline
  shift 2
  deadline=$((SECONDS + secs))
  until "$@" >/dev/null 2>&1; do
    ((SECONDS < deadline)) || { log "timed out after ${secs}s waiting for $what"; return 1; }
    sleep 0.2
  done
}

# Like wait_for, but gives up at once when component $1 has exited (bad flag, port taken).
wait_for_component() { # wait_for_component NAME SECONDS WHAT COMMAND...
  local name=$1 secs=$2 what=$3 deadline
  shift 3
  deadline=$((SECONDS + secs))
  until "$@" >/dev/null 2>&1; do
    is_ours "$(pid_of "$name")" || { log "$name exited while waiting for $what"; show_log_tail "$name"; return 1; }
    ((SECONDS < deadline)) || { log "timed out after ${secs}s waiting for $what"; show_log_tail "$name"; return 1; }
    sleep 0.2
  done
}

etcd_healthy() { curl -fsS --max-time 2 "$ETCD_URL/health" | grep -q '"health":"true"'; }
apiserver_ready() {
  [[ $(curl -sS --max-time 5 --cacert "$pki/ca.crt" --cert "$pki/admin.crt" --key "$pki/admin.key" \
    "$APISERVER_URL/readyz") == ok ]]
}
healthz_ok() { [[ $(curl -sS -k --max-time 2 "https://127.0.0.1:$1/healthz") == ok ]]; }
nodes_ready() {
  local n
  n=$(kubectl_admin get nodes -o jsonpath='{range .items[*]}{.status.conditions[?(@.type=="Ready")].status}{"\n"}{end}' | grep -c '^True$')
  ((n == ${#fake_nodes[@]}))
}
default_sa_exists() { kubectl_admin -n default get serviceaccount default; }

show_log_tail() {
  local f="$logs/$1.log"
  [[ -f $f ]] || return 0
  echo "----- last lines of $f -----" >&2
  tail -n 25 "$f" >&2
}

wait_etcd() { wait_for_component etcd 30 "etcd health at $ETCD_URL" etcd_healthy; }
wait_apiserver() { wait_for_component kube-apiserver 90 "kube-apiserver /readyz at $APISERVER_URL" apiserver_ready; }

# ---------------------------------------------------------------------------- up
write_component_args() {
  local extra_apiserver_args=("$@")
  save_args etcd \
    --name=local --data-dir="$dir/etcd-data" \
    --listen-client-urls="$ETCD_URL" --advertise-client-urls="$ETCD_URL" \
    --listen-peer-urls="http://127.0.0.1:$ETCD_PEER_PORT" \
    --initial-advertise-peer-urls="http://127.0.0.1:$ETCD_PEER_PORT" \
    --initial-cluster="local=http://127.0.0.1:$ETCD_PEER_PORT" \
    --unsafe-no-fsync=true --log-level=warn
  # etcd is plain HTTP on loopback, as in envtest: only processes on this machine reach it.
  save_args kube-apiserver \
    --etcd-servers="$ETCD_URL" \
    --bind-address=127.0.0.1 --advertise-address=127.0.0.1 --secure-port="$APISERVER_PORT" \
    --cert-dir="$pki" --tls-cert-file="$pki/apiserver.crt" --tls-private-key-file="$pki/apiserver.key" \
    --client-ca-file="$pki/ca.crt" \
    --authorization-mode=Node,RBAC \
    --enable-admission-plugins=NodeRestriction,PodSecurity \
    --service-account-issuer=https://kubernetes.default.svc.cluster.local \
    --service-account-key-file="$pki/sa.pub" --service-account-signing-key-file="$pki/sa.key" \
    --service-cluster-ip-range="$service_cidr" \
    --endpoint-reconciler-type=none \
    --allow-privileged=true --profiling=false --v=1 \
    "${extra_apiserver_args[@]}"
  # --endpoint-reconciler-type=none: the "kubernetes" Service cannot point at a loopback
  # address (Endpoints validation rejects it) and nothing in-cluster needs to reach us.
  save_args kube-controller-manager \
    --kubeconfig="$dir/kube-controller-manager.kubeconfig" \
    --authentication-kubeconfig="$dir/kube-controller-manager.kubeconfig" \
    --authorization-kubeconfig="$dir/kube-controller-manager.kubeconfig" \
    --bind-address=127.0.0.1 --secure-port="$KCM_PORT" --cert-dir="$pki" \
    --leader-elect=false --use-service-account-credentials=true \
    --service-account-private-key-file="$pki/sa.key" --root-ca-file="$pki/ca.crt" \
    --cluster-signing-cert-file="$pki/ca.crt" --cluster-signing-key-file="$pki/ca.key" \
    --service-cluster-ip-range="$service_cidr" --profiling=false --v=1
  save_args kube-scheduler \
    --kubeconfig="$dir/kube-scheduler.kubeconfig" \
    --authentication-kubeconfig="$dir/kube-scheduler.kubeconfig" \
    --authorization-kubeconfig="$dir/kube-scheduler.kubeconfig" \
    --bind-address=127.0.0.1 --secure-port="$SCHEDULER_PORT" --cert-dir="$pki" \
    --leader-elect=false --profiling=false --v=1
  # kwok manages only Nodes annotated as fake, using the release's "fast" Stages.
  save_args kwok \
    --config="$TENANT_CLUSTER_TOOLS/share/kwok-stages.yaml" \
    --kubeconfig="$dir/kwok.kubeconfig" \
    --manage-all-nodes=false \
    --manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake \
    --cidr="$pod_cidr" --node-ip=10.0.255.1 --node-lease-duration-seconds=40
}

fake_nodes_manifest() {
  local n
  for n in "${fake_nodes[@]}"; do
    cat <<EOF
---
apiVersion: v1
kind: Node
metadata:
  name: $n
  annotations:
    kwok.x-k8s.io/node: fake
    node.alpha.kubernetes.io/ttl: "0"
  labels:
    kubernetes.io/hostname: $n
    kubernetes.io/os: linux
    kubernetes.io/arch: amd64
    type: kwok
# Room for the 1,000-tenant benchmark (two API pods each); 110 pods per node held 780 tenants Pending.
status:
  allocatable: {cpu: "1000", memory: 8Ti, pods: "1500"}
  capacity: {cpu: "1000", memory: 8Ti, pods: "1500"}
EOF
  done
}

any_running() {
  local c
  for c in "${components[@]}" guardian; do is_ours "$(pid_of "$c")" && return 0; done
  return 1
}

# Ports are chosen free but not reserved, so another process can take one before the
# component binds it. An attempt that fails with "address already in use" tears down and
# exits 75; `up` then retries with new ports.
cmd_up() {
  local d=${1:-} args=() owner="" attempt rc
  [[ -n $d ]] || usage
  shift
  while (($#)); do
    case $1 in
      --owner-pid) owner=${2:?--owner-pid needs a PID}; shift 2 ;;
      --apiserver-arg) args+=(--apiserver-arg "${2:?--apiserver-arg needs a value}"); shift 2 ;;
      --apiserver-arg=*) args+=(--apiserver-arg "${1#*=}"); shift ;;
      *) usage ;;
    esac
  done
  [[ $owner == parent ]] && owner=$PPID
  [[ -n $owner ]] && args+=(--owner-pid "$owner")
  for attempt in 1 2 3; do
    rc=0
    bash "$self" __up_attempt "$d" "${args[@]}" || rc=$?
    ((rc == 75)) || return $rc
    log "a port was taken while starting (attempt $attempt); retrying with new ports"
  done
  die "could not find free ports in 3 attempts"
}

on_up_exit() {
  local rc=$1
  ((rc != 0)) || return 0
  log "start failed; tearing down"
  teardown || true
  if grep -qi "address already in use" "$logs"/*.log 2>/dev/null; then exit 75; fi
  exit "$rc"
}

cmd_up_attempt() {
  set_dir "${1:-}"
  shift
  local owner="" apiserver_args=()
  while (($#)); do
    case $1 in
      --owner-pid) owner=$2; shift 2 ;;
      --apiserver-arg) apiserver_args+=("$2"); shift 2 ;;
      *) usage ;;
    esac
  done
  mkdir -p "$run" "$logs"
  any_running && die "a cluster is already running in $dir (run 'cluster.sh down $dir' first)"
  # A fresh cluster every time: stale etcd data or certificates would make runs depend on
  # each other.
  rm -rf "$pki" "$dir/etcd-data" "$run"/* "$logs"/* "$dir/env" "$dir"/*.kubeconfig "$dir/bin"

  local started=$SECONDS tools
  tools=$(bash "$here/build-tools.sh" --print-dir) || die "building the control plane binaries failed"
  TENANT_CLUSTER_TOOLS=$tools bin=$tools/bin
  # shellcheck source=versions.env
  source "$here/versions.env"

  local ports
  read -r -a ports <<<"$(pick_ports 5)"
  ETCD_PORT=${ports[0]} ETCD_PEER_PORT=${ports[1]} APISERVER_PORT=${ports[2]}
  KCM_PORT=${ports[3]} SCHEDULER_PORT=${ports[4]}
  ETCD_URL="http://127.0.0.1:$ETCD_PORT" APISERVER_URL="https://127.0.0.1:$APISERVER_PORT"

  make_pki
  write_kubeconfig "$dir/admin.kubeconfig" tenant-local-admin --cert admin
  local c
  for c in kube-controller-manager kube-scheduler kwok; do
    write_kubeconfig "$dir/$c.kubeconfig" "$c" --cert "$c"
  done
  ln -s "$bin" "$dir/bin"
  cat >"$dir/env" <<EOF
TENANT_CLUSTER_DIR=$dir
TENANT_CLUSTER_TOOLS=$tools
TENANT_CLUSTER_BIN=$bin
KUBECONFIG=$dir/admin.kubeconfig
KUBECTL=$bin/kubectl
KUBERNETES_VERSION=$KUBERNETES_VERSION
APISERVER_URL=$APISERVER_URL
APISERVER_PORT=$APISERVER_PORT
CA_FILE=$pki/ca.crt
ETCD_URL=$ETCD_URL
ETCD_PORT=$ETCD_PORT
ETCD_PEER_PORT=$ETCD_PEER_PORT
KCM_PORT=$KCM_PORT
SCHEDULER_PORT=$SCHEDULER_PORT
EOF
  write_component_args "${apiserver_args[@]}"

  # From here on a failure (die, or set -e) must not leave processes behind.
  trap 'on_up_exit $?' EXIT
  # The guardian starts first, so even a SIGKILLed `up` is cleaned up when the owner dies.
  [[ -n $owner ]] && start_guardian "$owner"
  start_component etcd
  wait_etcd
  start_component kube-apiserver
  wait_apiserver
  start_component kube-controller-manager
  start_component kube-scheduler
  start_component kwok
  wait_for_component kube-controller-manager 60 "kube-controller-manager /healthz" healthz_ok "$KCM_PORT"
  wait_for_component kube-scheduler 60 "kube-scheduler /healthz" healthz_ok "$SCHEDULER_PORT"
  fake_nodes_manifest | kubectl_admin apply -f - >/dev/null
  wait_for_component kwok 60 "fake nodes to become Ready (kwok)" nodes_ready
  # The ServiceAccount controller creating "default" proves kube-controller-manager works.
  wait_for_component kube-controller-manager 60 "the default ServiceAccount (kube-controller-manager)" default_sa_exists
  trap - EXIT

  log "up in $((SECONDS - started))s: $APISERVER_URL (Kubernetes $KUBERNETES_VERSION, nodes: ${fake_nodes[*]})"
  log "use: export KUBECONFIG=$dir/admin.kubeconfig; $bin/kubectl get nodes"
}

# ---------------------------------------------------------------------------- guardian
proc_start_time() { sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f20; }
proc_state() { sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1; }

start_guardian() {
  local owner=$1 start
  start=$(proc_start_time "$owner") || true
  [[ -n $start ]] || die "--owner-pid $owner: no such process"
  setsid bash "$self" __guard "$dir" "$owner" "$start" </dev/null >>"$logs/guardian.log" 2>&1 &
  local i
  for ((i = 0; i < 50; i++)); do [[ -s "$run/guardian.pid" ]] && return 0; sleep 0.1; done
  die "guardian did not start (see $logs/guardian.log)"
}

# Polls the owner; the start time check makes a recycled PID count as "dead", and a zombie
# (an owner killed but not yet reaped) counts as dead too.
cmd_guard() {
  set_dir "$1"
  local owner=$2 start=$3
  echo $$ >"$run/guardian.pid"
  echo "$(date -u +%FT%TZ) guarding $dir for pid $owner"
  while [[ $(proc_start_time "$owner") == "$start" && $(proc_state "$owner") != Z ]]; do
    [[ $(pid_of guardian) == "$$" ]] || exit 0 # a normal `down` replaced or removed us
    sleep 1
  done
  echo "$(date -u +%FT%TZ) owner $owner is gone; tearing down"
  rm -f "$run/guardian.pid"
  load_env
  teardown
  # A throw-away directory (a test's private cluster) goes with its owner.
  if [[ -f $dir/.remove-with-owner ]]; then rm -rf "$dir"; fi
}

# ---------------------------------------------------------------------------- down
teardown() {
  local rc=0 c i g
  g=$(pid_of guardian)
  if [[ -n $g && $g != "$$" ]]; then stop_pid "$g" guardian || rc=1; fi
  rm -f "$run/guardian.pid"
  # Reverse start order: clients first, etcd last, so nothing logs a storm of errors.
  for ((i = ${#components[@]} - 1; i >= 0; i--)); do
    c=${components[i]}
    stop_component "$c" || rc=1
  done
  return $rc
}

cmd_down() {
  set_dir "${1:-}"
  [[ -d $run ]] || { log "nothing to stop in $dir"; return 0; }
  teardown || die "some processes of $dir could not be stopped"
  log "down: $dir"
}

# ---------------------------------------------------------------------------- operations
cmd_stop() { set_dir "$1"; load_env; stop_component "$2"; log "stopped $2"; }
cmd_start() {
  set_dir "$1"
  load_env
  start_component "$2"
  case $2 in
    etcd) wait_etcd ;;
    kube-apiserver) wait_apiserver ;;
  esac
  log "started $2"
}
cmd_restart() {
  set_dir "$1"
  load_env
  stop_component "$2"
  start_component "$2"
  case $2 in
    etcd) wait_etcd; wait_apiserver ;; # the API server must have reconnected
    kube-apiserver) wait_apiserver ;;
  esac
  log "restarted $2"
}

# Compacts etcd's history up to the current revision through etcd's HTTP gateway, so that
# reads and watches at older resourceVersions that reach etcd get "410 Gone" / "too old
# resource version". Note that the API server's watch cache still serves recent history;
# start the cluster with --apiserver-arg=--watch-cache=false to make every watch hit etcd.
cmd_compact_etcd() {
  set_dir "$1"
  load_env
  local rev
  rev=$(curl -fsS --max-time 10 -X POST "$ETCD_URL/v3/kv/range" -d '{"key":"Lw==","count_only":true}' |
    jq -r .header.revision)
  [[ $rev =~ ^[0-9]+$ ]] || die "could not read the etcd revision from $ETCD_URL"
  curl -fsS --max-time 30 -X POST "$ETCD_URL/v3/kv/compaction" -d "{\"revision\":\"$rev\",\"physical\":true}" >/dev/null ||
    die "etcd compaction to revision $rev failed"
  echo "$rev"
}

# A kubeconfig that authenticates as a ServiceAccount with a token from the TokenRequest
# API, so a process run with it has exactly the RBAC bound to that ServiceAccount.
cmd_mint_kubeconfig() {
  set_dir "$1"
  local ns=${2:?namespace} sa=${3:?serviceaccount} out=${4:?output path} duration=${5:-24h} token
  load_env
  token=$(kubectl_admin -n "$ns" create token "$sa" --duration="$duration") ||
    die "TokenRequest for serviceaccount $ns/$sa failed (does it exist?)"
  write_kubeconfig "$out" "system:serviceaccount:$ns:$sa" --token "$token"
}

cmd_status() {
  set_dir "$1"
  local c pid
  for c in "${components[@]}" guardian; do
    pid=$(pid_of "$c")
    if is_ours "$pid"; then echo "$c running (pid $pid)"; else echo "$c stopped"; fi
  done
}

# ---------------------------------------------------------------------------- main
cmd=${1:-}
shift || true
case $cmd in
  up) cmd_up "$@" ;;
  down) cmd_down "$@" ;;
  stop-apiserver) cmd_stop "${1:-}" kube-apiserver ;;
  start-apiserver) cmd_start "${1:-}" kube-apiserver ;;
  restart-apiserver) cmd_restart "${1:-}" kube-apiserver ;;
  stop-etcd) cmd_stop "${1:-}" etcd ;;
  start-etcd) cmd_start "${1:-}" etcd ;;
  restart-etcd) cmd_restart "${1:-}" etcd ;;
  stop | start)
    [[ " ${components[*]} " == *" ${2:-} "* ]] || die "unknown component '${2:-}' (${components[*]})"
    "cmd_$cmd" "${1:-}" "$2" ;;
  compact-etcd) cmd_compact_etcd "${1:-}" ;;
  mint-kubeconfig) cmd_mint_kubeconfig "$@" ;;
  status) cmd_status "${1:-}" ;;
  __up_attempt) cmd_up_attempt "$@" ;;
  __guard) cmd_guard "$@" ;;
  *) usage ;;
esac
