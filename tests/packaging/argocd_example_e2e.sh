#!/usr/bin/env bash
# The Argo CD example of docs/argocd.md: docs/argocd/example builds, orders the operator
# (wave -1) before DatabaseServers (wave 0) before Tenants (wave 1) without touching pod
# templates, its custom resources pass server-side validation, and application.yaml is
# an Application pointing at it with server-side apply.
# Usage: argocd_example_e2e.sh   (env TENANT_CLUSTER_DIR: the local cluster)
source "$(dirname "$0")/lib.sh"

check "kustomize build docs/argocd/example" sh -c "'$KUBECTL' kustomize '$repo/docs/argocd/example' > '$work/example.yaml'"
check "sync waves: operator -1, DatabaseServers 0, Tenants 1" "$py" - "$work/example.yaml" <<'PY'
import sys, yaml
docs = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d]
wave = lambda d: d["metadata"].get("annotations", {}).get("argocd.argoproj.io/sync-wave")
want = {"DatabaseServer": "0", "Tenant": "1"}
kinds = [d["kind"] for d in docs]
assert kinds.count("DatabaseServer") >= 1 and kinds.count("Tenant") >= 2, kinds
for d in docs:
    name = f'{d["kind"]}/{d["metadata"]["name"]}'
    if d["kind"] in want:
        assert wave(d) == want[d["kind"]], (name, wave(d))
        opts = d["metadata"]["annotations"].get("argocd.argoproj.io/sync-options", "")
        assert "SkipDryRunOnMissingResource=true" in opts, name
    elif d["kind"] == "Namespace" and d["metadata"]["name"] != "tenant-operator-system":
        assert wave(d) in ("0", "1"), (name, wave(d))
    else:
        assert wave(d) == "-1", (name, wave(d))
    if d["kind"] == "Deployment":
        pod = d["spec"]["template"]["metadata"].get("annotations", {})
        assert "argocd.argoproj.io/sync-wave" not in pod, "sync-wave leaked into the pod template"
print("ok")
PY
check "application.yaml: Application syncing docs/argocd/example with ServerSideApply" "$py" - "$repo/docs/argocd/application.yaml" <<'PY'
import sys, yaml
app = yaml.safe_load(open(sys.argv[1]))
assert (app["apiVersion"], app["kind"]) == ("argoproj.io/v1alpha1", "Application")
assert app["spec"]["source"]["path"] == "docs/argocd/example"
assert "ServerSideApply=true" in app["spec"]["syncPolicy"]["syncOptions"]
print("ok")
PY
# Validate the custom resources server-side (the CRDs come from manifests/default).
check_no_warnings "CRDs applied" kubectl apply --server-side -k "$repo/crds"
kubectl wait --for=condition=Established --timeout=60s crd/tenants.tenancy.erp.dev crd/databaseservers.tenancy.erp.dev >/dev/null
"$py" - "$work/example.yaml" "$work/crs.yaml" <<'PY'
import sys, yaml
docs = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d and d["kind"] in ("DatabaseServer", "Tenant")]
yaml.safe_dump_all(docs, open(sys.argv[2], "w"))
PY
kubectl create namespace tenants >/dev/null 2>&1 || true
check_no_warnings "DatabaseServers and Tenants pass --dry-run=server (no warnings)" \
  kubectl apply --server-side --dry-run=server -f "$work/crs.yaml"

finish "argocd example e2e"
