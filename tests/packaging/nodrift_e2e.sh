#!/usr/bin/env bash
# No drift (issue 6, Argo CD): after the operator has reconciled, the user's manifests
# (docs/argocd/example: a DatabaseServer and two Tenants, as Argo CD would apply them with
# server-side apply) show no difference in `kubectl diff --server-side`, and applying them
# again changes nothing (same resourceVersion): the operator never writes spec or
# user-owned metadata, and the CRDs' defaults do not show up as drift.
# Runs on a PRIVATE local control plane (its own operator must not reconcile the objects of
# other suites), with a real PostgreSQL (TLS) and the operator run with the RBAC of
# manifests/ through a minted ServiceAccount kubeconfig.
# Usage: nodrift_e2e.sh OPERATOR_BINARY
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
operator=${1:?usage: nodrift_e2e.sh OPERATOR_BINARY}
cluster_dir=$(mktemp -d)
# The guardian tears the private cluster down if this script dies (Ctrl-C, timeout).
bash "$repo/tests/cluster/cluster.sh" up "$cluster_dir" --owner-pid $$ >"$cluster_dir.up.log" 2>&1 || {
  echo "FAIL: the private cluster did not start:"; tail -20 "$cluster_dir.up.log"; exit 1; }
export TENANT_CLUSTER_DIR=$cluster_dir
source "$here/lib.sh"
on_exit "rm -rf '$cluster_dir' '$cluster_dir.up.log'"
on_exit "bash '$repo/tests/cluster/cluster.sh' down '$cluster_dir'"

free_port() { "$py" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_ready() { # kind name ns seconds
  local i
  for ((i = 0; i < $4 * 2; i++)); do
    [[ $("$KUBECTL" get "$1" "$2" ${3:+-n "$3"} -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null) == True ]] && return 0
    sleep 0.5
  done
  return 1
}

# PostgreSQL with TLS, reachable as localhost (its certificate's name).
pgdir="$work/pg"
chmod o+x "$work"   # as root, postgres.sh runs the server as the OS user postgres
bash "$repo/tests/services/postgres.sh" init "$pgdir" "$(free_port)" >/dev/null
bash "$repo/tests/services/postgres.sh" start "$pgdir" >/dev/null || { echo "FAIL: PostgreSQL did not start"; exit 1; }
on_exit "bash '$repo/tests/services/postgres.sh' stop '$pgdir'"
# shellcheck disable=SC1091
(. "$pgdir/env"; printf '%s\n%s\n%s\n%s\n' "$PGUSER" "$PGPASSWORD" "$PGSSLROOTCERT" "$PGPORT") >"$work/pg.txt"
{ read -r pguser; read -r pgpass; read -r pgca; read -r pgport; } <"$work/pg.txt"

check_no_warnings "install manifests/default" kubectl apply --server-side -k "$repo/manifests/default"
kubectl wait --for=condition=Established --timeout=60s crd/tenants.tenancy.erp.dev crd/databaseservers.tenancy.erp.dev >/dev/null
bash "$repo/tests/cluster/cluster.sh" mint-kubeconfig "$TENANT_CLUSTER_DIR" tenant-operator-system tenant-operator \
  "$work/operator.kubeconfig" >/dev/null
kubectl create namespace db >/dev/null
kubectl -n db create secret generic pg-admin --from-literal=username="$pguser" --from-literal=password="$pgpass" >/dev/null
kubectl -n db create secret generic pg-ca --from-file=ca.crt="$pgca" >/dev/null

# The user's manifests: the Argo CD example, pointed at this PostgreSQL.
kubectl kustomize "$repo/docs/argocd/example" | "$py" -c '
import sys, yaml
port = int(sys.argv[1])
out = []
for d in yaml.safe_load_all(sys.stdin):
    if d and d["kind"] == "DatabaseServer":
        d["spec"]["host"], d["spec"]["port"] = "localhost", port
    if d and d["kind"] in ("DatabaseServer", "Tenant", "Namespace") and d["metadata"]["name"] != "tenant-operator-system":
        out.append(d)
yaml.safe_dump_all(out, sys.stdout, sort_keys=False)
' "$pgport" >"$work/user.yaml"
check_no_warnings "apply the user's manifests (server-side)" kubectl apply --server-side --field-manager=argocd-controller -f "$work/user.yaml"

"$operator" --kubeconfig="$work/operator.kubeconfig" --metrics-bind-address=0 --health-probe-bind-address=0 \
  >"$work/operator.log" 2>&1 &
operator_pid=$!
on_exit "kill -TERM $operator_pid; wait $operator_pid"

if wait_ready databaseserver main "" 60 && wait_ready tenant acme tenants 120 && wait_ready tenant globex tenants 120; then
  pass "DatabaseServer and both Tenants Ready"
else
  echo "operator log tail:" >"$work/out"; tail -20 "$work/operator.log" >>"$work/out"
  kubectl -n tenants get tenants -o wide >>"$work/out" 2>&1 || true
  fail "DatabaseServer and both Tenants Ready"
  finish "no-drift e2e"
fi
# Let any follow-up reconcile (status, finalizer, requeue) settle before comparing.
sleep 3
rv_before=$(kubectl get -f "$work/user.yaml" -o jsonpath='{range .items[*]}{.kind}/{.metadata.name}={.metadata.resourceVersion}{"\n"}{end}' | grep -v '^Namespace/')
check "kubectl diff --server-side: no difference" kubectl diff --server-side --field-manager=argocd-controller -f "$work/user.yaml"
check "re-apply (server-side) succeeds" kubectl apply --server-side --field-manager=argocd-controller -f "$work/user.yaml"
rv_after=$(kubectl get -f "$work/user.yaml" -o jsonpath='{range .items[*]}{.kind}/{.metadata.name}={.metadata.resourceVersion}{"\n"}{end}' | grep -v '^Namespace/')
echo "before: $rv_before" >"$work/out"; echo "after:  $rv_after" >>"$work/out"
if [[ $rv_before == "$rv_after" ]]; then pass "re-apply is a no-op (resourceVersions unchanged)"; else fail "re-apply is a no-op (resourceVersions unchanged)"; fi
check "the operator owns no spec field" sh -c "'$KUBECTL' get -f '$work/user.yaml' --show-managed-fields -o json | '$py' -c '
import json, sys
bad = []
for o in json.load(sys.stdin)[\"items\"]:
    for m in o[\"metadata\"].get(\"managedFields\", []):
        if m[\"manager\"].startswith(\"tenant-operator\") and \"f:spec\" in m.get(\"fieldsV1\", {}):
            bad.append((o[\"kind\"], o[\"metadata\"][\"name\"], m[\"manager\"], m.get(\"subresource\", \"\")))
assert not bad, bad
'"
finish "no-drift e2e"
