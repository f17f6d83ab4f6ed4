#!/usr/bin/env bash
# Captures the Argo CD health-check inputs from the real system: `kubectl get -o yaml` of
# Tenants and DatabaseServers in the states the health_test.yaml cases cover, produced by the
# real operator (run with the ServiceAccount and RBAC of manifests/, out of cluster) against
# a real PostgreSQL with TLS on the local control plane.
#
#   capture_health_inputs.sh OPERATOR_BINARY OUT_DIR    (env TENANT_CLUSTER_DIR)
#
# Writes OUT_DIR/{Tenant,DatabaseServer}/<case>.yaml; a developer compares them with
# argocd/resource_customizations/tenancy.erp.dev/*/testdata and replaces the hand-written
# inputs (updating the expected messages in health_test.yaml by hand: expectations are never
# generated from the script under test).
source "$(dirname "$0")/lib.sh"
operator=${1:?usage: capture_health_inputs.sh OPERATOR_BINARY OUT_DIR}
out=${2:?usage: capture_health_inputs.sh OPERATOR_BINARY OUT_DIR}
mkdir -p "$out/Tenant" "$out/DatabaseServer"
# Stable names, so captures read like the docs: run this against a private cluster
# (tests/cluster/cluster.sh up DIR), not the shared one of a ctest run.
ns=tenants
dbns=db

free_port() { "$py" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
capture() { # kind name namespace-or-empty file
  local nsarg=()
  [[ -n $3 ]] && nsarg=(-n "$3")
  kubectl get "$1" "$2" "${nsarg[@]}" -o yaml >"$out/$4"
  echo "captured $4"
}
wait_for() { # description seconds command...   (polls until the command succeeds)
  local what=$1 secs=$2 i; shift 2
  for ((i = 0; i < secs * 2; i++)); do "$@" >/dev/null 2>&1 && return 0; sleep 0.5; done
  echo "timed out after ${secs}s waiting for $what" >&2
  return 1
}
# --- PostgreSQL with TLS ---
pgdir="$work/pg"
chmod o+x "$work"   # postgres.sh runs the server as the OS user postgres when we are root
pgport=$(free_port)
bash "$repo/tests/services/postgres.sh" init "$pgdir" "$pgport" >/dev/null
bash "$repo/tests/services/postgres.sh" start "$pgdir" >/dev/null
on_exit "bash '$repo/tests/services/postgres.sh' stop '$pgdir'"
# shellcheck disable=SC1091
(. "$pgdir/env"; printf '%s\n%s\n%s\n' "$PGUSER" "$PGPASSWORD" "$PGSSLROOTCERT") >"$work/pg.txt"
{ read -r pguser; read -r pgpass; read -r pgca; } <"$work/pg.txt"

# --- operator install (CRDs, RBAC, policy) and its ServiceAccount kubeconfig ---
kubectl apply --server-side -k "$repo/manifests/default" >/dev/null
kubectl wait --for=condition=Established --timeout=60s crd/tenants.tenancy.erp.dev crd/databaseservers.tenancy.erp.dev >/dev/null
bash "$repo/tests/cluster/cluster.sh" mint-kubeconfig "$TENANT_CLUSTER_DIR" tenant-operator-system tenant-operator \
  "$work/operator.kubeconfig" >/dev/null

kubectl create namespace "$dbns" >/dev/null
kubectl create namespace "$ns" >/dev/null
on_exit "kubectl delete namespace $ns $dbns --wait=false"
kubectl -n "$dbns" create secret generic pg-admin --from-literal=username="$pguser" --from-literal=password="$pgpass" >/dev/null
kubectl -n "$dbns" create secret generic pg-ca --from-file=ca.crt="$pgca" >/dev/null
server() { # name port
  kubectl apply -f - >/dev/null <<YAML
apiVersion: tenancy.erp.dev/v1alpha1
kind: DatabaseServer
metadata: {name: $1}
spec:
  host: localhost
  port: $2
  sslMode: verify-full
  caSecretRef: {namespace: $dbns, name: pg-ca, key: ca.crt}
  adminSecretRef: {namespace: $dbns, name: pg-admin}
YAML
  on_exit "kubectl delete databaseserver $1 --wait=false"
}
tenant() { # name server deletionPolicy
  kubectl apply -f - >/dev/null <<YAML
apiVersion: tenancy.erp.dev/v1alpha1
kind: Tenant
metadata: {name: $1, namespace: $ns}
spec:
  tenantId: ${1//-/_}
  displayName: ${1^} Corp
  database: {serverRef: $2, deletionPolicy: $3}
  api: {replicas: 1}
YAML
}

# --- before the operator runs: objects without status ---
server main "$pgport"
server down "$(free_port)"   # nothing listens there
tenant acme main Retain
tenant globex main Delete
tenant initech main Retain
capture databaseserver main "" DatabaseServer/provisioning_no_status.yaml
capture tenant acme "$ns" Tenant/provisioning_no_status.yaml

# --- the operator, with exactly the RBAC of manifests/ ---
"$operator" --kubeconfig="$work/operator.kubeconfig" --metrics-bind-address=0 \
  --health-probe-bind-address=0 >"$work/operator.log" 2>&1 &
operator_pid=$!
on_exit "kill -TERM $operator_pid; wait $operator_pid"

# provisioning: the first status the operator writes (Reconciling=True, Ready not True)
kubectl get tenant acme -n "$ns" -w -o json --output-watch-events >"$work/acme.watch" 2>/dev/null &
watch_pid=$!
on_exit "kill $watch_pid"
wait_for "acme Ready" 120 sh -c "[ \"\$('$KUBECTL' get tenant acme -n $ns -o jsonpath='{.status.conditions[?(@.type==\"Ready\")].status}')\" = True ]" \
  || { tail -20 "$work/operator.log"; exit 1; }
kill "$watch_pid" 2>/dev/null || true
"$py" - "$work/acme.watch" "$out/Tenant/provisioning.yaml" <<'PY'
import json, sys, yaml
dec = json.JSONDecoder(); text = open(sys.argv[1]).read(); i = 0
while i < len(text):
    while i < len(text) and text[i].isspace(): i += 1
    if i >= len(text): break
    ev, i = dec.raw_decode(text, i)
    o = ev["object"]; conds = {c["type"]: c for c in o.get("status", {}).get("conditions", [])}
    if conds.get("Reconciling", {}).get("status") == "True" and conds.get("Ready", {}).get("status") != "True":
        o["metadata"].pop("managedFields", None)
        yaml.safe_dump(o, open(sys.argv[2], "w"), sort_keys=True); print("captured Tenant/provisioning.yaml"); break
else:
    print("no provisioning state was observed (the operator went straight to Ready)")
PY
capture tenant acme "$ns" Tenant/healthy.yaml
wait_for "main Ready" 60 sh -c "[ \"\$('$KUBECTL' get databaseserver main -o jsonpath='{.status.conditions[?(@.type==\"Ready\")].status}')\" = True ]"
capture databaseserver main "" DatabaseServer/healthy.yaml

# stalled migration: change an applied migration's checksum, then change the spec so the
# operator looks again
(. "$pgdir/env"; psql -q -d erp_tenant_acme -c "UPDATE schema_migrations SET checksum = 'tampered' WHERE version = (SELECT min(version) FROM schema_migrations)")
kubectl -n "$ns" patch tenant acme --type merge -p '{"spec":{"displayName":"ACME Corp (stalled)"}}' >/dev/null
wait_for "acme Stalled" 60 sh -c "[ \"\$('$KUBECTL' get tenant acme -n $ns -o jsonpath='{.status.conditions[?(@.type==\"Stalled\")].status}')\" = True ]"
capture tenant acme "$ns" Tenant/stalled_migration.yaml

# a server that never answered, and one that went down under a Ready tenant
wait_for "down unreachable" 60 sh -c "[ \"\$('$KUBECTL' get databaseserver down -o jsonpath='{.status.conditions[?(@.type==\"Ready\")].status}')\" = False ]"
capture databaseserver down "" DatabaseServer/unreachable.yaml
wait_for "globex Ready" 120 sh -c "[ \"\$('$KUBECTL' get tenant globex -n $ns -o jsonpath='{.status.conditions[?(@.type==\"Ready\")].status}')\" = True ]"
bash "$repo/tests/services/postgres.sh" stop "$pgdir" >/dev/null
kubectl -n "$ns" patch tenant globex --type merge -p '{"spec":{"displayName":"Globex (server down)"}}' >/dev/null
wait_for "globex not Ready" 90 sh -c "'$KUBECTL' get tenant globex -n $ns -o jsonpath='{.status.conditions[?(@.type==\"Ready\")].status}' | grep -qx False"
capture tenant globex "$ns" Tenant/database_unreachable.yaml
capture databaseserver main "" DatabaseServer/went_down.yaml

# deleting while the server is down: deletionPolicy Delete keeps the finalizer
kubectl -n "$ns" delete tenant globex --wait=false >/dev/null
wait_for "globex deletion reported" 90 sh -c "'$KUBECTL' get tenant globex -n $ns -o yaml | grep -q 'reason: Deletion'"
capture tenant globex "$ns" Tenant/deleting_blocked.yaml
bash "$repo/tests/services/postgres.sh" start "$pgdir" >/dev/null
wait_for "globex deleted" 120 sh -c "! '$KUBECTL' get tenant globex -n $ns"


# With the operator stopped: a spec change it has not observed, and deletions waiting at a
# finalizer (the Tenant's own; a foreign one on the DatabaseServer, which has none).
wait_for "initech Ready" 60 sh -c "[ \"\$('$KUBECTL' get tenant initech -n $ns -o jsonpath='{.status.conditions[?(@.type==\"Ready\")].status}')\" = True ]"
kill -TERM "$operator_pid"; wait "$operator_pid" || true
kubectl -n "$ns" patch tenant initech --type merge -p '{"spec":{"api":{"replicas":3}}}' >/dev/null
capture tenant initech "$ns" Tenant/stale_generation.yaml
kubectl -n "$ns" delete tenant initech --wait=false >/dev/null
capture tenant initech "$ns" Tenant/deleting.yaml
kubectl patch databaseserver main --type merge -p '{"spec":{"maxTenants":100}}' >/dev/null
capture databaseserver main "" DatabaseServer/stale_generation.yaml
kubectl patch databaseserver down --type merge -p '{"metadata":{"finalizers":["example.com/keep"]}}' >/dev/null
kubectl delete databaseserver down --wait=false >/dev/null
capture databaseserver down "" DatabaseServer/deleting.yaml
kubectl patch databaseserver down --type merge -p '{"metadata":{"finalizers":null}}' >/dev/null

echo "captures in $out; operator log: $(wc -l <"$work/operator.log") lines"
