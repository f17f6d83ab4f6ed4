#!/usr/bin/env bash
# Builds the libFuzzer targets with clang and runs each for a bounded time.
#   tests/fuzz/run.sh [seconds-per-target (default 30)] [build-dir (default build/fuzz)]
# Exit code non-zero when a target crashes (the reproducer is left in the build dir).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
seconds="${1:-30}"
build="${2:-$repo/build/fuzz}"
command -v clang++ >/dev/null || { echo "fuzz: clang++ not installed (scripts/install-deps.sh)"; exit 1; }
cmake -S "$here" -B "$build" -G Ninja -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=Debug >/dev/null
cmake --build "$build" -j"${FUZZ_JOBS:-2}"
status=0
for target in fuzz_http_request fuzz_json_body fuzz_jwt; do
  corpus_seed="$here/corpus/${target#fuzz_}"
  work="$build/corpus-${target#fuzz_}"
  mkdir -p "$work"
  echo "== $target for ${seconds}s"
  if ! (cd "$build" && ASAN_OPTIONS=detect_leaks=1 "./$target" -max_total_time="$seconds" -timeout=10 \
        -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 "$work" "$corpus_seed" 2>&1 | tail -n 15); then
    echo "== $target FAILED"
    status=1
  fi
done
exit $status
