#!/usr/bin/env bash
# Installs every Debian package the build, the tests and the demo need.
# Idempotent: when everything is present it only checks and returns.
set -euo pipefail

PACKAGES=(
  # toolchain
  build-essential cmake ninja-build pkg-config git ca-certificates curl ccache
  # C++ libraries (found by CMake, never vendored)
  libcpprest-dev libyaml-cpp-dev libpq-dev libssl-dev nlohmann-json3-dev
  libspdlog-dev catch2 libboost-dev libhiredis-dev libcrypt-dev
  # services the tests start
  postgresql postgresql-contrib redis-server openssl
  # test and benchmark tools
  prometheus wrk lua5.1 procps iproute2 jq python3-yaml
  clang libclang-rt-14-dev
)

missing=()
for pkg in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$pkg")
  fi
done

if ((${#missing[@]} == 0)); then
  echo "install-deps: all ${#PACKAGES[@]} packages present"
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
SUDO=""
if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null

# The Debian packages enable and start system-wide PostgreSQL and Redis services where an
# init system runs; the tests start their own instances on free ports, so stop those.
if command -v systemctl >/dev/null 2>&1 && systemctl is-system-running >/dev/null 2>&1; then
  $SUDO systemctl disable --now postgresql redis-server >/dev/null 2>&1 || true
fi
echo "install-deps: done"
