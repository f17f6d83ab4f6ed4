#!/usr/bin/env bash
# The README's first command, non-interactively: `scripts/demo.sh --check` with the binaries
# of an existing build tree (DEMO_BUILD_DIR; no package install, no build) and a private
# state directory. The demo itself fails on any broken step (control plane, PostgreSQL,
# Redis, RBAC install, operator start, Tenants Ready, tenant-api start, login, product,
# order, psql); this test also checks what it printed and that it left nothing behind:
# its state directory is gone, no process refers to it (command line or environment), and
# no port it printed is still listening.
#   --interrupt: run the interactive form instead and press "Ctrl-C" (SIGINT) once it is
#   up, then make the same checks (not in CTest: it takes as long again).
# Usage: demo_e2e.sh BUILD_DIR [--interrupt]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
build=${1:?usage: demo_e2e.sh BUILD_DIR [--interrupt]}
mode=${2:---check}

work=$(mktemp -d)
# As root, the demo's PostgreSQL runs as the OS user postgres, which must reach the state dir.
chmod 0711 "$work"
state="$work/demo"
demo_pid=""
cleanup() {
  [[ -n $demo_pid ]] && kill -TERM "$demo_pid" 2>/dev/null && wait "$demo_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

fails=0
pass() { echo "ok   $1"; }
fail() { echo "FAIL $1"; fails=$((fails + 1)); }
expect() { # name extended-regex: a line of the demo's output matches
  if grep -Eq -- "$2" "$work/out"; then pass "$1"; else fail "$1 (no line matching /$2/)"; fi
}

started=$SECONDS
# Only the demo gets the state dir in its environment (see the /proc check below).
demo=(env DEMO_BUILD_DIR="$build" DEMO_STATE_DIR="$state" bash "$repo/scripts/demo.sh")
case $mode in
  --check)
    rc=0
    "${demo[@]}" --check >"$work/out" 2>&1 || rc=$?
    ;;
  --interrupt)
    # Job control on: otherwise bash starts a background job with SIGINT ignored, and an
    # ignored signal cannot be trapped by the demo.
    set -m
    "${demo[@]}" >"$work/out" 2>&1 &
    demo_pid=$!
    set +m
    deadline=$((SECONDS + 300))
    until grep -q "Press Ctrl-C" "$work/out"; do
      kill -0 "$demo_pid" 2>/dev/null || break
      ((SECONDS < deadline)) || { echo "FAIL: the demo was not up within 300s"; break; }
      sleep 1
    done
    kill -INT "$demo_pid" 2>/dev/null || true
    rc=0
    wait "$demo_pid" || rc=$?
    demo_pid=""
    ;;
  *) echo "usage: demo_e2e.sh BUILD_DIR [--interrupt]" >&2; exit 2 ;;
esac
echo "demo.sh $mode: exit status $rc after $((SECONDS - started))s"
sed 's/^/  | /' "$work/out"

if [[ $mode == --check ]]; then
  if ((rc == 0)); then pass "demo.sh --check exits 0"; else fail "demo.sh --check exits 0 (got $rc)"; fi
else
  if ((rc == 130)); then pass "Ctrl-C: demo.sh exits 130"; else fail "Ctrl-C: demo.sh exits 130 (got $rc)"; fi
  expect "Ctrl-C: the demo was waiting for it" "^Press Ctrl-C to stop"
fi
expect "RBAC installed from manifests/default" "^clusterrole.rbac.authorization.k8s.io/tenant-operator serverside-applied"
if grep -q "^deployment.apps/tenant-operator " "$work/out"; then fail "the operator Deployment was applied (pods under kwok never run)"
else pass "the operator Deployment was not applied"; fi
expect "operator ran as its ServiceAccount" "^tenant-operator ready \(pid [0-9]+\)"
expect "samples applied" "^databaseserver.tenancy.erp.dev/main serverside-applied"
for t in acme globex; do
  expect "$t: watch shows Ready" "^$t +True +Ready +main +erp_tenant_$t "
  expect "$t: tenant-api up" "^tenant-api for $t ready \(pid [0-9]+\)"
  expect "$t: admin login" "^  $t: POST /api/v1/auth/token as [^ ]+ -> 200 \{\"role\":\"admin\""
  expect "$t: product created" "^  $t: POST /api/v1/products -> 201 \{\"id\":[0-9]+"
  expect "$t: order placed" "^  $t: POST /api/v1/orders -> 201 \{\"id\":[0-9]+,\"status\":\"confirmed\",\"total_minor\":5997"
  expect "$t: stock taken" "^  $t: GET /api/v1/products/[0-9]+ -> 200 stock_quantity 97"
  expect "$t: psql with the tenant's Secret" "^  $t: database erp_tenant_$t as erp_tenant_${t}_[ab]: 1 product\(s\), 1 order\(s\)"
done
expect "next steps printed (kubectl, curl, psql)" "^    curl -s -H \"Authorization: Bearer"
expect "torn down" "^==> \[[0-9]+s\] Tearing down"

# Nothing left behind.
if [[ -e $state ]]; then fail "state dir $state removed"; else pass "state dir removed"; fi
# The pattern comes from a file so that grep's own command line does not match it.
printf '%s\n' "$state" >"$work/pattern"
left=$(grep -lsFf "$work/pattern" /proc/[0-9]*/cmdline /proc/[0-9]*/environ 2>/dev/null | cut -d/ -f3 | sort -u |
  while read -r p; do echo "$p: $(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null | head -c 200)"; done || true)
if [[ -z $left ]]; then pass "no process refers to the state dir"; else fail "processes left: $left"; fi
ports=$(grep -Eo '(127\.0\.0\.1:|port=)[0-9]{4,5}' "$work/out" | grep -Eo '[0-9]+$' | sort -u)
[[ -n $ports ]] || fail "no ports found in the demo's output"
listening=""
for p in $ports; do
  ss -Htln "sport = :$p" | grep -q . && listening+=" $p"
done
if [[ -z $listening ]]; then pass "none of the demo's $(wc -w <<<"$ports") ports listens any more"; else fail "still listening:$listening"; fi

echo "demo e2e ($mode): $((SECONDS - started))s, $fails failed"
((fails == 0))
