#!/usr/bin/env bash
# Informer benchmark: memory (RSS of a process running ONE operator/kube Informer) and
# event throughput, with COUNTS ConfigMaps of ~2 kB each, against a real local
# kube-apiserver. Prints a table; not part of CTest (numbers, never assertions).
#
#   tests/bench/informer_bench.sh            (env below are optional)
#     COUNTS="1000 10000"   object counts, one row each
#     WRITERS=16            parallel writers (populate and updates)
#     KEEP_MANAGED_FIELDS=1 cache objects whole (the informer strips metadata.managedFields
#                           by default), to compare
#     COMPACT=1             a packed store (InformerOptions::compact, as the operator's caches of
#                           owned objects), to compare with the parsed one
#     TENANT_CLUSTER_DIR    a running cluster (cluster.sh up DIR); default: a private one,
#                           started and torn down here
#     INFORMER_BENCH        the benchmark binary; default: build/bench/tests/bench/informer_bench,
#                           configured and built here without sanitizers (RelWithDebInfo):
#                           ASan would multiply the memory numbers.
#
# Columns: list = initial LIST (pages of 500) until the cache is synced; RSS before the
# informer, once synced, and per object ((synced - base) / count); free_mb = free chunks in
# malloc's arenas once synced (fragmentation; the informer's malloc_trim after the LIST gives
# their whole pages back to the OS, so most of it is not RSS); heap/obj = malloc'd bytes
# per cached object; json/obj = the object's JSON size; live = every object updated once by
# WRITERS threads, time until the handler saw all (bounded by the API server's write rate);
# drain = the handler was blocked while every object changed again, then released: the
# informer's own event rate (relists/rewatches show whether the API server cut the watch).
# Machine load (`uptime`) is printed with every row: the box is shared, numbers are noisy.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
COUNTS=${COUNTS:-"1000 10000"}
WRITERS=${WRITERS:-16}

bin=${INFORMER_BENCH:-$root/build/bench/tests/bench/informer_bench}
if [[ -z ${INFORMER_BENCH:-} ]]; then
  echo "building informer_bench (RelWithDebInfo, no sanitizers) in $root/build/bench ..." >&2
  cmake -S "$root" -B "$root/build/bench" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTENANT_SANITIZE=OFF >/dev/null
  cmake --build "$root/build/bench" --target informer_bench -j2 >/dev/null
fi
[[ -x $bin ]] || { echo "informer_bench: $bin not found" >&2; exit 1; }
if ldd "$bin" | grep -q libasan; then
  echo "WARNING: $bin is built with AddressSanitizer: memory numbers are inflated" >&2
fi

cluster_dir=${TENANT_CLUSTER_DIR:-}
private=""
if [[ -z $cluster_dir ]]; then
  private=$(mktemp -d /tmp/informer-bench.XXXXXX)
  cluster_dir=$private/cluster
  trap 'bash "$root/tests/cluster/cluster.sh" down "$cluster_dir" >/dev/null 2>&1 || true; rm -rf "$private"' EXIT
  echo "starting a private control plane in $cluster_dir ..." >&2
  bash "$root/tests/cluster/cluster.sh" up "$cluster_dir" --owner-pid $$ >&2
fi
kubeconfig=$cluster_dir/admin.kubeconfig
kubectl=$(grep '^KUBECTL=' "$cluster_dir/env" | cut -d= -f2-)
[[ -f $kubeconfig && -x $kubectl ]] || { echo "no cluster at $cluster_dir" >&2; exit 1; }
k() { "$kubectl" --kubeconfig "$kubeconfig" "$@"; }

field() { tr ' ' '\n' <<<"$1" | sed -n "s/^$2=//p"; }
load() { uptime | sed 's/.*load average: //'; }

rows=()
for n in $COUNTS; do
  ns=informer-bench-$n-$RANDOM
  k create namespace "$ns" >/dev/null
  load_before=$(load)
  pop=$("$bin" populate "$kubeconfig" "$ns" "$n" "$WRITERS")
  echo "$pop" >&2
  out=$("$bin" run "$kubeconfig" "$ns" "$n" "$WRITERS" ${KEEP_MANAGED_FIELDS:+keep-managed-fields} ${COMPACT:+compact})
  echo "$out" >&2
  load_after=$(load)
  rows+=("$(printf '%7s %7s %8s %7s %8s %8s %7s %7s %7s %7s %8s %9s %8s %9s %4s/%-4s | %s -> %s' \
    "$n" "$(field "$pop" creates_per_s)" "$(field "$out" list_s)" "$(field "$out" list_obj_per_s)" \
    "$(field "$out" rss_base_mb)" "$(field "$out" rss_synced_mb)" "$(field "$out" heap_free_mb)" "$(field "$out" rss_per_obj_kb)" \
    "$(field "$out" heap_per_obj_kb)" "$(field "$out" json_per_obj_kb)" \
    "$(field "$out" live_seen_s)" "$(field "$out" live_events_per_s)" \
    "$(field "$out" drain_s)" "$(field "$out" drain_events_per_s)" \
    "$(field "$out" relists)" "$(field "$out" rewatches)" "$load_before" "$load_after")")
  k delete namespace "$ns" --wait=false >/dev/null
done

echo
mf=stripped
[[ -n ${KEEP_MANAGED_FIELDS:-} ]] && mf=kept
store=parsed
[[ -n ${COMPACT:-} ]] && store=compact
echo "informer benchmark ($(nproc) cores, writers=$WRITERS, payload 2 kB/object, managedFields $mf, $store store; RSS in MB, per-object in kB)"
printf '%7s %7s %8s %7s %8s %8s %7s %7s %7s %7s %8s %9s %8s %9s %9s | %s\n' \
  objects create/s list_s list/s rss_base rss_sync free_mb rss/obj heap/obj json/obj live_s live_ev/s drain_s drain_ev/s relst/rew \
  "load (1/5/15 min) before -> after"
for r in "${rows[@]}"; do echo "$r"; done
