#!/usr/bin/env bash
# docs/api.md is what tenant-api serves at /openapi.json: starts the built tenant-api on a
# free loopback port (no database needed to serve the document), fetches it, and compares
# docs/tools/openapi_reference.py's rendering with the committed docs/api.md.
# Usage: api_reference_test.sh TENANT_API_BINARY
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
binary=${1:?usage: api_reference_test.sh TENANT_API_BINARY}
work=$(mktemp -d)
pid=""
cleanup() { [[ -n $pid ]] && kill -TERM "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
# A syntactically valid configuration; nothing listens on port 1, which only /health/ready
# would notice.
DATABASE_URL="postgresql://docs:docs@127.0.0.1:1/docs" JWT_SIGNING_KEY=$(head -c 48 /dev/urandom | base64 -w0) \
  PORT=$port BIND_ADDRESS=127.0.0.1 ENVIRONMENT=development RATE_LIMIT_ENABLED=false \
  "$binary" serve >"$work/api.log" 2>&1 &
pid=$!
for _ in $(seq 1 100); do
  curl -sf -o "$work/openapi.json" "http://127.0.0.1:$port/openapi.json" && break
  kill -0 "$pid" 2>/dev/null || { echo "FAIL: tenant-api exited:"; tail -20 "$work/api.log"; exit 1; }
  sleep 0.1
done
[[ -s $work/openapi.json ]] || { echo "FAIL: no /openapi.json from tenant-api on port $port"; tail -20 "$work/api.log"; exit 1; }
/usr/bin/python3 "$repo/docs/tools/openapi_reference.py" "$work/openapi.json" --check
