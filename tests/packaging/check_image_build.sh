#!/usr/bin/env bash
# Runs the build stage of operator/Dockerfile or runtime/Dockerfile without a container
# engine: copies exactly what its COPY lines copy into a fresh directory, runs its build
# RUN (the cmake commands, with /src and /build mapped into WORKDIR), checks the binary runs,
# then checks the runtime stage's packages against `ldd` of THAT binary (the RelWithDebInfo,
# non-sanitized binary the image would ship). Proves the image builds from the sources it
# copies (nothing from tests/, scripts/ or a build tree) and that its runtime stage is
# complete.
# Usage: check_image_build.sh DOCKERFILE WORKDIR
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
dockerfile=$1
work=$2
rm -rf "$work"
mkdir -p "$work/src" "$work/build"
work=$(cd "$work" && pwd)

# The build stage: from the first FROM to the second; continuation lines joined.
stage=$(awk '/^FROM /{n++} n==1' "$dockerfile" | sed -e ':a' -e '/\\$/N; s/\\\n//; ta' | grep -v '^\s*#')
copies=$(grep '^COPY ' <<<"$stage" | grep -v -- '--from=' || true)
[[ -n $copies ]] || { echo "FAIL: no COPY in the build stage of $dockerfile"; exit 1; }
while read -r _ src dest; do
  mkdir -p "$work/src/$(dirname "$dest")"
  cp -a "$repo/$src" "$work/src/$dest"
done <<<"$copies"
echo "copied:" $(awk '{print $2}' <<<"$copies")

# Only the RUN that starts with cmake: the apt-get RUN is the image's business, never the host's.
build=$(grep '^RUN cmake ' <<<"$stage" | sed 's/^RUN //')
[[ -n $build ]] || { echo "FAIL: no cmake RUN in the build stage of $dockerfile"; exit 1; }
case $build in *apt-get*|*"rm "*|*sudo*) echo "FAIL: refusing to run '$build' on the host"; exit 1 ;; esac
build=${build//\/build/$work/build}
build=${build//\/src/$work/src}
# ccache (when present) sees the same paths on every run and hits.
export CCACHE_BASEDIR="$work"
echo "running: $build"
(cd "$work/src" && nice sh -ec "$build") >"$work/build.log" 2>&1 || {
  echo "FAIL: the build stage of $dockerfile does not build from the copied sources:"; tail -30 "$work/build.log"; exit 1; }

# The binary the runtime stage copies, mapped the same way.
bin=$(awk '/^FROM /{n++} n==2' "$dockerfile" | sed -n 's/^COPY --from=build \(\/build\/[^ ]*\) .*/\1/p')
bin=$work${bin}
"$bin" --version || { echo "FAIL: $bin --version"; exit 1; }
/usr/bin/python3 "$here/check_image_libs.py" "$dockerfile" "$bin" "$repo/scripts/install-deps.sh"
