# Shared helpers of the packaging e2e scripts (sourced, not run).
# Loads the local cluster's env ($TENANT_CLUSTER_DIR, set by the local_cluster CTest
# fixture) and counts checks so each script ends with "N passed, M failed".
set -euo pipefail
pkg_here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$pkg_here/../.." && pwd)
py=/usr/bin/python3

if [[ -z ${TENANT_CLUSTER_DIR:-} || ! -f ${TENANT_CLUSTER_DIR}/env ]]; then
  echo "FAIL: no local cluster: TENANT_CLUSTER_DIR='${TENANT_CLUSTER_DIR:-}' has no env file" \
    "(run through ctest, which starts the local_cluster fixture, or tests/cluster/cluster.sh up DIR)" >&2
  exit 1
fi
set -a
# shellcheck disable=SC1091
source "$TENANT_CLUSTER_DIR/env"
set +a
kubectl() { "$KUBECTL" "$@"; }

work=$(mktemp -d)
cleanup_steps=()
run_cleanup() {
  local i
  for ((i = ${#cleanup_steps[@]} - 1; i >= 0; i--)); do eval "${cleanup_steps[i]}" >/dev/null 2>&1 || true; done
  rm -rf "$work"
}
trap run_cleanup EXIT
on_exit() { cleanup_steps+=("$1"); }

passes=0 fails=0
pass() { echo "ok   $1"; passes=$((passes + 1)); }
fail() { echo "FAIL $1"; [[ -f $work/out ]] && sed 's/^/     /' "$work/out"; fails=$((fails + 1)); }
check() { # name command...   (output in $work/out)
  local name=$1; shift
  if "$@" >"$work/out" 2>&1; then pass "$name"; else fail "$name"; fi
}
# Runs a command that must succeed and print nothing on stderr (API warnings go there).
check_no_warnings() { # name command...
  local name=$1; shift
  if "$@" >"$work/stdout" 2>"$work/out"; then
    if [[ -s $work/out ]]; then fail "$name: printed warnings"; else pass "$name"; fi
  else
    cat "$work/stdout" >>"$work/out"; fail "$name"
  fi
}
expect_failure() { # name expected-text command...
  local name=$1 want=$2; shift 2
  if "$@" >"$work/out" 2>&1; then fail "$name: succeeded, should have failed"
  elif grep -qF -- "$want" "$work/out"; then pass "$name"
  else fail "$name: output lacks '$want'"; fi
}
# Like check, but retries once a second for up to `seconds` until the command succeeds: for
# what the API server takes up asynchronously (a new admission policy, its type check).
check_within() { # seconds name command...   (output of the last try in $work/out)
  local seconds=$1 name=$2 i; shift 2
  for ((i = 0; i < seconds; i++)); do
    if "$@" >"$work/out" 2>&1; then pass "$name"; return 0; fi
    sleep 1
  done
  fail "$name"
}
finish() { # label
  echo "$1: $passes passed, $fails failed"
  ((fails == 0 && passes > 0))
}
# A namespace with Pod Security "restricted" enforced and warned, deleted at exit.
restricted_namespace() { # name
  kubectl create namespace "$1" >/dev/null
  on_exit "kubectl delete namespace $1 --wait=false"
  kubectl label namespace "$1" pod-security.kubernetes.io/enforce=restricted \
    pod-security.kubernetes.io/warn=restricted pod-security.kubernetes.io/audit=restricted >/dev/null
}

# --- the preventDeletion ValidatingAdmissionPolicy ---
# A Tenant with preventDeletion: true whose DatabaseServer does not exist (an operator
# running on this cluster provisions nothing for it).
apply_protected_tenant() { # namespace name tenant-id
  kubectl apply -f - >/dev/null <<YAML
apiVersion: tenancy.erp.dev/v1alpha1
kind: Tenant
metadata: {name: $2, namespace: $1}
spec: {tenantId: $3, database: {serverRef: packaging-test-no-such-server}, preventDeletion: true}
YAML
}
# Succeeds when the API server denies DELETE of the Tenant, naming preventDeletion.
delete_denied_by_prevent_deletion() { # namespace name
  local out
  if out=$(kubectl -n "$1" delete tenant "$2" --dry-run=server 2>&1); then
    printf '%s\n(DELETE was admitted)\n' "$out"
    return 1
  fi
  printf '%s\n' "$out"
  grep -q preventDeletion <<<"$out"
}
