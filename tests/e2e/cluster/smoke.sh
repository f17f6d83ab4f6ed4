#!/usr/bin/env bash
# Smoke test of the local control plane (run by CTest with the local_cluster fixture, or by
# hand: TENANT_CLUSTER_DIR=DIR bash smoke.sh after `tests/cluster/cluster.sh up DIR`).
# Proves the API server is real and the controllers and kwok do their jobs:
#   1. a CRD is applied and becomes Established; a custom resource is created, and a watch
#      delivers both its ADDED event and a later MODIFIED event;
#   2. a Deployment gets ReplicaSet + Pods (controller manager), the Pods are bound to the
#      fake nodes (scheduler) and become Ready (kwok), and the Deployment becomes Available;
#   3. PodSecurity admission rejects a privileged Pod in a namespace enforcing "restricted";
#   4. deleting the namespace removes everything in it and then the namespace itself.
# Every step fails the test (non-zero exit) with a message saying what did not happen.
set -euo pipefail

: "${TENANT_CLUSTER_DIR:?TENANT_CLUSTER_DIR is not set (run through ctest, fixture local_cluster)}"
[[ -f $TENANT_CLUSTER_DIR/env ]] || {
  echo "FAIL: no cluster in $TENANT_CLUSTER_DIR (cluster_up did not succeed)" >&2
  exit 1
}
# shellcheck disable=SC1091
source "$TENANT_CLUSTER_DIR/env"

k() { "$KUBECTL" --kubeconfig "$KUBECONFIG" --request-timeout=30s "$@"; }
fail() { echo "FAIL: $*" >&2; exit 1; }
t0=$SECONDS
step() { echo "[$((SECONDS - t0))s] $*"; }

suffix="$$-$RANDOM"
ns="smoke-$suffix"
psa_ns="smoke-psa-$suffix"
group="smoke-$suffix.tenant.test"
crd="widgets.$group"
work=$(mktemp -d)
watch_pid=""

cleanup() {
  [[ -n $watch_pid ]] && kill "$watch_pid" 2>/dev/null || true
  k delete namespace "$ns" "$psa_ns" --ignore-not-found --wait=false >/dev/null 2>&1 || true
  k delete crd "$crd" --ignore-not-found --wait=false >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

# wait_until SECONDS WHAT COMMAND...: polls COMMAND until it succeeds.
wait_until() {
  local secs=$1 what=$2 deadline
  shift 2
  deadline=$((SECONDS + secs))
  until "$@" >/dev/null 2>&1; do
    ((SECONDS < deadline)) || fail "after ${secs}s: $what"
    sleep 0.5
  done
}

step "server version"
k version -o json | jq -e --arg v "$KUBERNETES_VERSION" '.serverVersion.gitVersion == $v' >/dev/null ||
  fail "server does not report $KUBERNETES_VERSION"

# ------------------------------------------------------------------ 1. CRD, CR, watch
step "apply CRD $crd"
k apply -f - >/dev/null <<EOF
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: $crd
spec:
  group: $group
  scope: Namespaced
  names: {plural: widgets, singular: widget, kind: Widget, listKind: WidgetList}
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            required: [size]
            properties:
              size: {type: integer, minimum: 1}
EOF
k wait --for=condition=Established "crd/$crd" --timeout=60s >/dev/null || fail "CRD $crd not Established"
k create namespace "$ns" >/dev/null

step "schema validation rejects an invalid custom resource"
if k apply -n "$ns" -f - >"$work/invalid.out" 2>&1 <<EOF
apiVersion: $group/v1
kind: Widget
metadata: {name: invalid}
spec: {size: 0}
EOF
then fail "a Widget with size 0 was accepted (OpenAPI schema not enforced)"; fi
grep -q "spec.size" "$work/invalid.out" || fail "unexpected rejection: $(cat "$work/invalid.out")"

step "watch widgets, create one, then modify it"
# -w with --output-watch-events prints one JSON event per object: the initial list arrives
# as ADDED events, later changes as MODIFIED; the MODIFIED event can only come from the
# watch stream, which is what this step proves.
k get "widgets.$group" -n "$ns" -w --output-watch-events -o json --request-timeout=0 \
  >"$work/watch.json" 2>"$work/watch.err" &
watch_pid=$!
k apply -n "$ns" -f - >/dev/null <<EOF
apiVersion: $group/v1
kind: Widget
metadata: {name: first}
spec: {size: 1}
EOF
saw_event() { # saw_event TYPE SIZE
  jq -e -s --arg t "$1" --argjson s "$2" \
    'any(.[]; .type == $t and .object.metadata.name == "first" and .object.spec.size == $s)' \
    "$work/watch.json"
}
wait_until 30 "the watch did not report ADDED widget 'first'" saw_event ADDED 1
k patch -n "$ns" "widget.$group/first" --type=merge -p '{"spec":{"size":3}}' >/dev/null
wait_until 30 "the watch did not report MODIFIED widget 'first' with size 3 ($(cat "$work/watch.err"))" \
  saw_event MODIFIED 3
kill "$watch_pid" 2>/dev/null || true
wait "$watch_pid" 2>/dev/null || true
watch_pid=""

# ------------------------------------------------------------------ 2. Deployment via kwok
step "create Deployment (2 replicas) and wait for Available"
k apply -n "$ns" -f - >/dev/null <<EOF
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: web
        image: registry.k8s.io/pause:3.10
EOF
k wait -n "$ns" --for=condition=Available deployment/web --timeout=120s >/dev/null ||
  fail "Deployment web not Available: $(k get -n "$ns" deploy,rs,pods -o wide 2>&1)"
ready=$(k get -n "$ns" deployment/web -o jsonpath='{.status.readyReplicas}')
[[ $ready == 2 ]] || fail "Deployment web has readyReplicas=$ready, want 2"
nodes=$(k get -n "$ns" pods -l app=web -o jsonpath='{range .items[*]}{.spec.nodeName}{"\n"}{end}')
while read -r node; do
  [[ $node == kwok-node-* ]] || fail "pod bound to '$node', not a kwok node"
done <<<"$nodes"
phases=$(k get -n "$ns" pods -l app=web -o jsonpath='{.items[*].status.phase}')
[[ $phases == "Running Running" ]] || fail "pod phases are '$phases', want Running Running"

# ------------------------------------------------------------------ 3. PodSecurity admission
step "PodSecurity rejects a privileged pod under enforce=restricted"
k create namespace "$psa_ns" >/dev/null
k label namespace "$psa_ns" pod-security.kubernetes.io/enforce=restricted >/dev/null
if k apply -n "$psa_ns" --dry-run=server -f - >"$work/psa.out" 2>&1 <<EOF
apiVersion: v1
kind: Pod
metadata: {name: privileged}
spec:
  containers:
  - name: c
    image: registry.k8s.io/pause:3.10
    securityContext: {privileged: true}
EOF
then fail "a privileged pod was admitted in a restricted namespace"; fi
grep -q "violates PodSecurity" "$work/psa.out" || fail "unexpected rejection: $(cat "$work/psa.out")"

# ------------------------------------------------------------------ 4. namespace deletion
step "delete namespace $ns and wait until it is gone"
k delete namespace "$ns" "$psa_ns" --wait=false >/dev/null
ns_gone() {
  local all
  all=$(k get namespaces -o name) || return 1
  ! grep -qx -e "namespace/$ns" -e "namespace/$psa_ns" <<<"$all"
}
wait_until 120 "namespace $ns still exists: $(k get namespace "$ns" -o jsonpath='{.status}' 2>&1)" ns_gone
left=$(k get "widgets.$group" -A -o name) || fail "cannot list widgets"
[[ -z $left ]] || fail "widgets survived the namespace deletion: $left"
k delete crd "$crd" --wait=true --timeout=60s >/dev/null || fail "CRD $crd could not be deleted"

step "PASS"
