#!/usr/bin/env bash
# Builds the Helm 3 CLI from the Go module helm.sh/helm/v3 at the version pinned in
# tests/packaging/versions.env and caches it OUTSIDE the repository, next to the local
# control plane's binaries (tests/cluster/build-tools.sh):
#   ${TENANT_TOOLS_CACHE:-~/.cache/tenant-operator/tools}/helm-<version>-<key>/bin/helm
# <key> hashes the pins, the Go version and this script, so only a change of one of them
# rebuilds; when the cache is current this is a fast no-op.
# Usage: build-helm.sh [--print-path]   (--print-path prints only the binary's path on stdout)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=versions.env
source "$here/versions.env"

print_path=0
[[ ${1:-} == --print-path ]] && print_path=1

command -v go >/dev/null || { echo "build-helm: 'go' not found in PATH (need Go >= 1.26)" >&2; exit 1; }
export GOTOOLCHAIN=local
go_version=$(go env GOVERSION)
key=$( { grep -v '^[[:space:]]*\(#\|$\)' "$here/versions.env"; cat "$0"; echo "$go_version"; } \
  | sha256sum | cut -c1-12)
cache_root=${TENANT_TOOLS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/tenant-operator/tools}
dest="$cache_root/helm-$HELM_VERSION-$key"
bin="$dest/bin/helm"

report() {
  if ((print_path)); then echo "$bin"; else echo "build-helm: cached in $bin"; fi
}
is_complete() { [[ -x $bin && -f "$dest/bin/.complete" ]]; }
if is_complete; then report; exit 0; fi

mkdir -p "$cache_root"
# The test script and a developer running the e2e tests must not build twice at once.
exec 9>"$cache_root/.helm.lock"
flock 9
if is_complete; then report; exit 0; fi

module=helm.sh/helm/v3
echo "build-helm: building helm $HELM_VERSION with $go_version (a few minutes, once)" >&2
# The link-time settings of Helm's own Makefile: the version string, and the Kubernetes
# version `helm lint` / `helm template` assume (client-go v0.N => Kubernetes 1.N).
gomod=$(cd "$cache_root" && go mod download -json "$module@$HELM_VERSION" \
  | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",$/\1/p')
k8s_minor=$(sed -n 's/^[[:space:]]*k8s.io\/client-go v0\.\([0-9]*\)\..*/\1/p' "$gomod" | head -1)
[[ -n $k8s_minor ]] || { echo "build-helm: no k8s.io/client-go requirement in $gomod" >&2; exit 1; }
ldflags="-s -w -X $module/internal/version.version=$HELM_VERSION"
ldflags+=" -X $module/internal/version.gitTreeState=clean"
for pkg in pkg/lint/rules pkg/chartutil; do
  ldflags+=" -X $module/$pkg.k8sVersionMajor=1 -X $module/$pkg.k8sVersionMinor=$k8s_minor"
done

work=$(mktemp -d "$cache_root/.build-helm.XXXXXX")
trap 'rm -rf "$work"' EXIT
# Run outside any module: `go install pkg@version` then uses Helm's own go.mod and go.sum,
# verified against the Go checksum database.
(cd "$work" && GOBIN="$work/bin" CGO_ENABLED=0 \
  go install -trimpath -ldflags="$ldflags" "$module/cmd/helm@$HELM_VERSION")
got=$("$work/bin/helm" version --template '{{.Version}}')
[[ $got == "$HELM_VERSION" ]] || { echo "build-helm: built helm reports $got, want $HELM_VERSION" >&2; exit 1; }
rm -rf "$dest"
mkdir -p "$dest"
mv "$work/bin" "$dest/bin"
touch "$dest/bin/.complete"
echo "build-helm: built helm $got" >&2
report
