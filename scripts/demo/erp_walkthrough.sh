#!/usr/bin/env bash
# One tenant's ERP round trip against its running tenant-api, as an API client would do it:
# log in with the first admin user from Secret <tenant>-admin (POST /api/v1/auth/token),
# create a product, place an order for 3 of it, read the product back (stock taken by the
# order). Prints one line per call; any unexpected status fails with the problem detail.
#
# Usage: erp_walkthrough.sh TENANT NAMESPACE API_URL WORK_DIR
#   needs KUBECTL and KUBECONFIG (admin) in the environment. The password and the access
#   token never appear on a command line or in the output: they go through files in
#   WORK_DIR (mode 0600) and stdin.
set -euo pipefail
tenant=${1:?usage: erp_walkthrough.sh TENANT NAMESPACE API_URL WORK_DIR}
ns=${2:?namespace} url=${3:?api url} work=${4:?work dir}
: "${KUBECTL:?KUBECTL not set}" "${KUBECONFIG:?KUBECONFIG not set}"
umask 077
mkdir -p "$work"

die() { echo "erp_walkthrough.sh: $tenant: $*" >&2; exit 1; }
say() { echo "  $tenant: $*"; }

# call METHOD PATH WANT_STATUS [BODY_FILE]: the response body lands in $work/body.
call() {
  local method=$1 path=$2 want=$3 body=${4:-} status args=()
  args=(-sS -o "$work/body" -w '%{http_code}' -X "$method" --max-time 15 -H 'Accept: application/json')
  [[ -f $work/auth.header ]] && args+=(-H "@$work/auth.header")
  [[ -n $body ]] && args+=(-H 'Content-Type: application/json' --data-binary "@$body")
  [[ $method == POST && $path == /api/v1/orders ]] && args+=(-H "Idempotency-Key: demo-$tenant-order-1")
  status=$(curl "${args[@]}" "$url$path") || die "$method $path: no answer from $url"
  if [[ $status != "$want" ]]; then
    die "$method $path: HTTP $status, wanted $want: $(jq -c '{title, detail, errors}' "$work/body" 2>/dev/null || head -c 500 "$work/body")"
  fi
}

# Log in: the Secret's username/password keys are exactly the TokenRequest body.
"$KUBECTL" -n "$ns" get secret "$tenant-admin" -o json |
  jq '.data | map_values(@base64d) | {username, password}' >"$work/login.json" ||
  die "cannot read Secret $ns/$tenant-admin"
user=$(jq -r .username "$work/login.json")
rm -f "$work/auth.header"
call POST /api/v1/auth/token 200 "$work/login.json"
rm -f "$work/login.json"
jq -r '"Authorization: Bearer " + .access_token' "$work/body" >"$work/auth.header"
say "POST /api/v1/auth/token as $user -> 200 $(jq -c '{role, token_type, expires_in}' "$work/body")"

jq -n --arg sku "${tenant^^}-WIDGET-1" --arg name "Widget for $tenant" \
  '{sku: $sku, name: $name, description: "created by scripts/demo.sh", currency: "EUR",
    unit_price_minor: 1999, stock_quantity: 100}' >"$work/product.json"
call POST /api/v1/products 201 "$work/product.json"
product_id=$(jq -r .id "$work/body")
say "POST /api/v1/products -> 201 $(jq -c '{id, sku, name, unit_price_minor, currency, stock_quantity}' "$work/body")"

jq -n --argjson pid "$product_id" '{lines: [{product_id: $pid, quantity: 3}]}' >"$work/order.json"
call POST /api/v1/orders 201 "$work/order.json"
say "POST /api/v1/orders -> 201 $(jq -c '{id, status, total_minor, currency, lines: [.lines[] | {product_id, quantity, line_total_minor}]}' "$work/body")"
total=$(jq -r .total_minor "$work/body")
[[ $total == 5997 ]] || die "order total is $total minor units, expected 3 x 1999 = 5997"

call GET "/api/v1/products/$product_id" 200
stock=$(jq -r .stock_quantity "$work/body")
say "GET /api/v1/products/$product_id -> 200 stock_quantity $stock (100 - 3: the order took its stock in the same transaction)"
[[ $stock == 97 ]] || die "stock is $stock after the order, expected 97"
rm -f "$work/auth.header" "$work/body"
