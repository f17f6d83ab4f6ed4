#!/usr/bin/env bash
# Builds the local control plane's binaries (etcd, kube-apiserver, kube-controller-manager,
# kube-scheduler, kubectl, kwok) from the Go module proxy at the versions pinned in
# versions.env, and caches them OUTSIDE the repository:
#   ${TENANT_TOOLS_CACHE:-~/.cache/tenant-operator/tools}/<key>/{bin,share}
# <key> is derived from the pins (versions.env without comments), the wrapper module
# (go.mod, go.sum, etcd main), the Go version and RECIPE below, so a fresh clone on the
# same machine reuses the binaries and only a pin change rebuilds them. When the cache is
# current this is a fast no-op (no Go invocation beyond `go env GOVERSION`).
# Usage: build-tools.sh [--print-dir]   (--print-dir prints only the cache dir on stdout)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=versions.env
source "$here/versions.env"

# Bump when the build recipe (flags, set of commands) changes in a way the key cannot see.
RECIPE=1

print_dir=0
[[ ${1:-} == --print-dir ]] && print_dir=1

# Go's official tarball installs to /usr/local/go, which non-login shells may lack in PATH.
if ! command -v go >/dev/null && [[ -x /usr/local/go/bin/go ]]; then PATH="/usr/local/go/bin:$PATH"; fi
command -v go >/dev/null || { echo "build-tools: 'go' not found in PATH (need Go >= 1.26)" >&2; exit 1; }
go_version=$(GOTOOLCHAIN=local go env GOVERSION)
key_input=$(grep -v '^[[:space:]]*\(#\|$\)' "$here/versions.env"
  cat "$here/tools/go.mod" "$here/tools/go.sum" "$here/tools/etcd/main.go"
  echo "$go_version recipe=$RECIPE")
key="${KUBERNETES_VERSION}-$(printf '%s' "$key_input" | sha256sum | cut -c1-12)"
cache_root=${TENANT_TOOLS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/tenant-operator/tools}
dest="$cache_root/$key"
tools=(etcd kube-apiserver kube-controller-manager kube-scheduler kubectl kwok)
stages="$dest/share/kwok-stages.yaml"

is_complete() { [[ -f "$dest/bin/.complete" && -s "$stages" ]]; }
report() {
  if ((print_dir)); then echo "$dest"; else echo "build-tools: cached in $dest"; fi
}

if is_complete; then report; exit 0; fi

mkdir -p "$cache_root"
# Two concurrent callers (the demo and the test script) must not build twice.
exec 9>"$cache_root/.lock"
if ! flock -n 9; then
  echo "build-tools: another build holds $cache_root/.lock; waiting" >&2
  flock 9
fi
if is_complete; then report; exit 0; fi

export GOTOOLCHAIN=local
log="$cache_root/build-$key.log"

if [[ ! -f "$dest/bin/.complete" ]]; then
  work=$(mktemp -d "$cache_root/.build-$key.XXXXXX")
  trap 'rm -rf "$work"' EXIT
  echo "build-tools: building ${tools[*]} (kubernetes $KUBERNETES_VERSION, etcd $ETCD_VERSION," \
    "kwok $KWOK_VERSION) with $go_version; log: $log" >&2
  start=$(date +%s)

  # The version stamps a Kubernetes release build sets; without them the binaries report
  # v0.0.0-master, which kubectl and discovery clients treat as an unknown version.
  major=${KUBERNETES_VERSION#v}; major=${major%%.*}
  minor=${KUBERNETES_VERSION#v*.}; minor=${minor%%.*}
  vflags=""
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    vflags+=" -X $pkg.gitVersion=$KUBERNETES_VERSION -X $pkg.gitMajor=$major"
    vflags+=" -X $pkg.gitMinor=$minor -X $pkg.gitTreeState=clean"
  done

  # Static, stripped, path-independent binaries; one go build invocation so the packages
  # the commands share are compiled once, and the default shared Go build cache.
  {
    cd "$here/tools"
    CGO_ENABLED=0 GOFLAGS=-mod=readonly go build -trimpath -ldflags "-s -w$vflags" -o "$work/" \
      k8s.io/kubernetes/cmd/kube-apiserver \
      k8s.io/kubernetes/cmd/kube-controller-manager \
      k8s.io/kubernetes/cmd/kube-scheduler \
      k8s.io/kubernetes/cmd/kubectl \
      ./etcd
    # kwok is its own module with its own (older) k8s.io dependencies and no replace
    # directives, so `go install module@version` builds it exactly as its go.mod says.
    CGO_ENABLED=0 GOFLAGS= GOBIN="$work" go install -trimpath -ldflags "-s -w" \
      "sigs.k8s.io/kwok/cmd/kwok@${KWOK_VERSION}"
  } >"$log" 2>&1 || { echo "build-tools: build FAILED; last lines of $log:" >&2; tail -n 30 "$log" >&2; exit 1; }

  for t in "${tools[@]}"; do
    [[ -x "$work/$t" ]] || { echo "build-tools: $t missing after build (see $log)" >&2; exit 1; }
  done
  secs=$(($(date +%s) - start))
  echo "built in ${secs}s on $(nproc) cores with $go_version at $(date -u +%FT%TZ)" >"$work/.build-info"
  touch "$work/.complete"
  rm -rf "$dest"
  mkdir -p "$dest"
  mv "$work" "$dest/bin"
  trap - EXIT
  echo "build-tools: built in ${secs}s" >&2
fi

# kwok does nothing without Stage objects. Use the release's own "fast" set (nodes become
# Ready at once and keep a Lease; pods become Ready at once; deletions complete), read
# from the module at the pinned version rather than copied into this repository.
kwok_dir=$(GOFLAGS= go mod download -json "sigs.k8s.io/kwok@${KWOK_VERSION}" | jq -r .Dir)
mkdir -p "$dest/share"
{
  for f in node/fast/node-initialize.yaml node/heartbeat-with-lease/node-heartbeat-with-lease.yaml \
           pod/fast/pod-ready.yaml pod/fast/pod-complete.yaml pod/fast/pod-delete.yaml; do
    echo "---"
    cat "$kwok_dir/kustomize/stage/$f"
  done
} >"$stages.tmp"
mv "$stages.tmp" "$stages"
report
