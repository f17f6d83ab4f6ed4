#!/usr/bin/env bash
# Installs, builds and runs every test suite: unit, integration (real PostgreSQL with TLS
# and Redis) and e2e (the local control plane with kwok), all under ASan+UBSan.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh
bash tests/cluster/build-tools.sh        # cached outside the repo; no-op when current
bash tests/packaging/build-helm.sh       # Helm for the chart tests; cached the same way
bash scripts/build.sh asan

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
(cd build/asan && ctest --output-on-failure --timeout 1800 "$@")

# The images ship RelWithDebInfo binaries without sanitizers, and which libraries a binary
# NEEDs depends on how it is built: check the Dockerfiles' runtime packages against
# exactly those binaries (tests/packaging, packaging_image_*).
bash scripts/build.sh release tenant-operator tenant-api
(cd build/release && ctest --output-on-failure --no-tests=error -R '^packaging_image_')

# libFuzzer targets (clang) for a short bounded time: FUZZ_SECONDS per target, 0 skips.
if [[ ${FUZZ_SECONDS:-20} != 0 ]]; then
  bash tests/fuzz/run.sh "${FUZZ_SECONDS:-20}"
fi
