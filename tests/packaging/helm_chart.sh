#!/usr/bin/env bash
# Helm chart checks that need no cluster: `helm lint --strict` with the default and with
# non-default values, the rendered operator Deployment (check_operator_deployment.py), and
# that the values schema and the template guards reject bad input.
# Usage: helm_chart.sh [OPERATOR_BINARY]   (with it, the Deployment's flags are checked
# against `OPERATOR_BINARY --help`)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
chart="$repo/charts/tenant-operator"
py=/usr/bin/python3
helm=$(bash "$here/build-helm.sh" --print-path)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export HELM_CACHE_HOME="$work/cache" HELM_CONFIG_HOME="$work/config" HELM_DATA_HOME="$work/data"
binary_args=()
[[ -n ${1:-} ]] && binary_args=(--operator-binary "$1")
fails=0 passes=0
check() { # name command...
  local name=$1; shift
  if "$@" >"$work/out" 2>&1; then echo "ok   $name"; passes=$((passes + 1)); else echo "FAIL $name"; sed 's/^/     /' "$work/out"; fails=$((fails + 1)); fi
}
expect_failure() { # name expected-message command...
  local name=$1 want=$2; shift 2
  if "$@" >"$work/out" 2>&1; then
    echo "FAIL $name: succeeded, should have failed"; fails=$((fails + 1))
  elif grep -qF -- "$want" "$work/out"; then echo "ok   $name"; passes=$((passes + 1))
  else echo "FAIL $name: no '$want' in:"; sed 's/^/     /' "$work/out"; fails=$((fails + 1)); fi
}

check "lint --strict (defaults)" "$helm" lint --strict "$chart"
check "lint --strict (non-default values)" "$helm" lint --strict "$chart" -f "$here/values-nondefault.yaml"
check "template (defaults)" sh -c "'$helm' template pkg '$chart' -n tenant-operator-system > '$work/default.yaml'"
check "operator Deployment (defaults)" "$py" "$here/check_operator_deployment.py" "$work/default.yaml" "${binary_args[@]}"
check "template (non-default values)" sh -c "'$helm' template pkg '$chart' -n ops -f '$here/values-nondefault.yaml' > '$work/nondefault.yaml'"
check "operator Deployment (non-default values)" "$py" "$here/check_operator_deployment.py" "$work/nondefault.yaml" --replicas 3 "${binary_args[@]}"
check "non-default values reach the objects" "$py" - "$work/nondefault.yaml" <<'PY'
import sys, yaml
docs = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d]
kinds = {d["kind"]: d for d in docs}
dep = kinds["Deployment"]; c = dep["spec"]["template"]["spec"]["containers"][0]
want_args = ["--namespace=tenants", "--default-tenant-api-image=registry.example.com/erp/tenant-api:0.1.0-test",
             "--log-level=debug",
             "--max-concurrent-reconciles=8", "--resync-period=5m", "--metrics-bind-address=:9090"]
missing = [a for a in want_args if a not in c["args"]]
assert not missing, f"args missing {missing}: {c['args']}"
assert c["image"] == "registry.example.com/erp/tenant-operator:0.1.0-test", c["image"]
env = {e["name"]: e.get("value") for e in c["env"]}
assert env.get("TENANT_OPERATOR_REDIS_SECRET") == "tenant-redis", env
assert env.get("TENANT_OPERATOR_SENTRY_SECRET") == "tenant-sentry", env
assert dep["spec"]["template"]["spec"]["serviceAccountName"] == "erp-operator"
assert dep["spec"]["template"]["spec"]["nodeSelector"] == {"kubernetes.io/os": "linux"}
assert dep["spec"]["template"]["spec"]["tolerations"][0]["key"] == "dedicated"
assert "podAntiAffinity" in dep["spec"]["template"]["spec"]["affinity"]
assert kinds["PodDisruptionBudget"]["spec"]["minAvailable"] == 2
assert kinds["ServiceMonitor"]["spec"]["endpoints"][0]["interval"] == "15s"
assert kinds["ServiceMonitor"]["metadata"]["labels"]["release"] == "prometheus"
assert c["resources"]["limits"]["memory"] == "512Mi"
print("ok")
PY
check "defaults: no ServiceMonitor, no Redis/Sentry settings" "$py" - "$work/default.yaml" <<'PY'
import sys, yaml
docs = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d]
assert not [d for d in docs if d["kind"] == "ServiceMonitor"]
c = [d for d in docs if d["kind"] == "Deployment"][0]["spec"]["template"]["spec"]["containers"][0]
assert not [a for a in c["args"] if a.startswith(("--namespace", "--default-tenant-api-image"))], c["args"]
assert not [e for e in c["env"] if e["name"].startswith("TENANT_OPERATOR_")], c["env"]
print("ok")
PY
expect_failure "schema rejects an unknown value" "additional properties 'replicas' not allowed" \
  "$helm" template pkg "$chart" --set replicas=3
expect_failure "schema rejects a bad pull policy" "pullPolicy" \
  "$helm" template pkg "$chart" --set image.pullPolicy=Sometimes
expect_failure "several replicas need leader election" "needs leaderElection.enabled" \
  "$helm" template pkg "$chart" --set leaderElection.enabled=false
check "one replica without leader election renders no PDB and no Lease Role" sh -c \
  "'$helm' template pkg '$chart' --set replicaCount=1 --set leaderElection.enabled=false | grep -c 'kind: \(PodDisruptionBudget\|Role\)$' | grep -qx 0"

echo "helm chart: $passes passed, $fails failed"
((fails == 0))
