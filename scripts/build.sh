#!/usr/bin/env bash
# Configures and builds the project.
# Usage: scripts/build.sh [release|asan] [TARGET...]   (default release, every target)
# Build trees: build/release, build/asan.
set -euo pipefail
cd "$(dirname "$0")/.."
flavor=${1:-release}
shift $(($# > 0 ? 1 : 0))
targets=()
for t in "$@"; do targets+=(--target "$t"); done
case "$flavor" in
  release) extra=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DTENANT_SANITIZE=OFF) ;;
  asan)    extra=(-DCMAKE_BUILD_TYPE=Debug -DTENANT_SANITIZE=ON) ;;
  *) echo "build.sh: unknown flavor '$flavor' (release|asan)" >&2; exit 2 ;;
esac
dir=build/$flavor
cmake -S . -B "$dir" -G Ninja "${extra[@]}" >/dev/null
cmake --build "$dir" -j "$(nproc)" "${targets[@]}"
ln -sf "$dir/compile_commands.json" compile_commands.json
echo "build.sh: built $dir${*:+ ($*)}"
