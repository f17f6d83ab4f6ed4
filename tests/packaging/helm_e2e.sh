#!/usr/bin/env bash
# charts/tenant-operator against the real local kube-apiserver, with the pinned Helm:
# - `helm template` output (default values, and every value changed) applied with
#   kubectl apply --server-side --dry-run=server into a restricted namespace: no errors,
#   no warnings;
# - helm install brings up the operator objects (Deployment Available through kwok);
# - helm upgrade with changed values reaches the Deployment (replicas, flags);
# - helm uninstall removes the release's objects and keeps the CRDs (Helm never deletes
#   crds/, so uninstalling cannot delete every Tenant in the cluster).
# Usage: helm_e2e.sh   (env TENANT_CLUSTER_DIR: the local cluster)
source "$(dirname "$0")/lib.sh"
chart="$repo/charts/tenant-operator"
helm=$(bash "$pkg_here/build-helm.sh" --print-path)
export HELM_CACHE_HOME="$work/helm/cache" HELM_CONFIG_HOME="$work/helm/config" HELM_DATA_HOME="$work/helm/data"
helm() { "$helm" --kubeconfig "$KUBECONFIG" "$@"; }

# --- rendered output, validated by the API server without persisting anything ---
dry_ns=pkg-helm-dry-$$
restricted_namespace "$dry_ns"
check_no_warnings "install the ServiceMonitor test CRD" \
  kubectl apply --server-side -f "$pkg_here/testdata/servicemonitor-crd.yaml"
kubectl wait --for=condition=Established --timeout=60s crd/servicemonitors.monitoring.coreos.com >/dev/null
check "template (defaults)" sh -c "'$helm' template pkg '$chart' -n $dry_ns --include-crds > '$work/default.yaml'"
check_no_warnings "defaults: apply --dry-run=server (no warnings)" \
  kubectl apply --server-side --dry-run=server -n "$dry_ns" -f "$work/default.yaml"
check "template (non-default values)" sh -c \
  "'$helm' template pkg '$chart' -n $dry_ns --include-crds -f '$pkg_here/values-nondefault.yaml' > '$work/nondefault.yaml'"
check_no_warnings "non-default values: apply --dry-run=server (no warnings)" \
  kubectl apply --server-side --dry-run=server -n "$dry_ns" -f "$work/nondefault.yaml"
check "non-default values render a ServiceMonitor" grep -q '^kind: ServiceMonitor$' "$work/nondefault.yaml"

# --- a real release ---
ns=pkg-helm-$$
release=pkg-e2e
full=$release-tenant-operator
restricted_namespace "$ns"
on_exit "'$helm' --kubeconfig '$KUBECONFIG' uninstall $release -n $ns --wait --timeout 60s"
check_no_warnings "helm install --wait" helm install "$release" "$chart" -n "$ns" --wait --timeout 120s
check "release deployed (revision 1)" sh -c "'$helm' --kubeconfig '$KUBECONFIG' status $release -n $ns -o json \
  | '$py' -c 'import json,sys; s=json.load(sys.stdin); assert (s[\"info\"][\"status\"], s[\"version\"]) == (\"deployed\", 1), s[\"info\"]'"
check "operator Deployment Available with 2 ready replicas" sh -c \
  "'$KUBECTL' -n $ns get deployment $full -o jsonpath='{.status.readyReplicas}' | grep -qx 2"
for obj in serviceaccount/$full service/$full-metrics poddisruptionbudget/$full \
           role.rbac.authorization.k8s.io/$full-leader-election rolebinding.rbac.authorization.k8s.io/$full-leader-election; do
  check "installed $obj" kubectl -n "$ns" get "$obj"
done
for obj in clusterrole/$full clusterrolebinding/$full validatingadmissionpolicy/$full-prevent-deletion \
           validatingadmissionpolicybinding/$full-prevent-deletion crd/tenants.tenancy.erp.dev crd/databaseservers.tenancy.erp.dev; do
  check "installed $obj" kubectl get "$obj"
done
check "the ServiceAccount may watch Tenants cluster-wide" sh -c \
  "'$KUBECTL' auth can-i watch tenants.tenancy.erp.dev --all-namespaces --as=system:serviceaccount:$ns:$full | grep -qx yes"

# The release's preventDeletion policy: the API server has type-checked it without
# warnings, and a protected Tenant cannot be deleted. (Other suites on this cluster may
# install manifests/policy too, and the API server reports whichever denying policy it
# evaluated first, so the denial is not attributed; the chart's policy spec is the one in
# manifests/policy, kept identical by packaging_chart_rbac_in_sync.)
policy=$full-prevent-deletion
policy_typechecked() { # name: the API server has type-checked the policy's current generation, no warnings
  "$KUBECTL" get validatingadmissionpolicy "$1" -o json | "$py" -c '
import json, sys
p = json.load(sys.stdin); st = p.get("status", {})
assert st.get("observedGeneration") == p["metadata"]["generation"], "not type-checked yet"
assert not st.get("typeChecking", {}).get("expressionWarnings"), st["typeChecking"]'
}
check_within 30 "the release's policy is type-checked without warnings" policy_typechecked "$policy"
apply_protected_tenant "$ns" protected pkg_helm_protected
on_exit "kubectl -n $ns patch tenant protected --type merge -p '{\"spec\":{\"preventDeletion\":false}}'"
check_within 30 "a protected Tenant cannot be deleted" delete_denied_by_prevent_deletion "$ns" protected

# --- upgrade with changed values ---
check_no_warnings "helm upgrade (replicaCount=3, logLevel=debug, watchNamespace)" \
  helm upgrade "$release" "$chart" -n "$ns" --reuse-values --set replicaCount=3 --set logLevel=debug \
  --set watchNamespace=tenants --wait --timeout 120s
check "upgrade reached the Deployment" sh -c "'$KUBECTL' -n $ns get deployment $full -o json | '$py' -c '
import json, sys
d = json.load(sys.stdin)
args = d[\"spec\"][\"template\"][\"spec\"][\"containers\"][0][\"args\"]
assert d[\"spec\"][\"replicas\"] == 3 and d[\"status\"].get(\"readyReplicas\") == 3, d[\"status\"]
assert \"--log-level=debug\" in args and \"--namespace=tenants\" in args, args
'"
check "release at revision 2" sh -c "'$helm' --kubeconfig '$KUBECONFIG' history $release -n $ns -o json \
  | '$py' -c 'import json,sys; h=json.load(sys.stdin); assert [r[\"revision\"] for r in h] == [1, 2] and h[-1][\"status\"] == \"deployed\", h'"
check "helm rollback to revision 1" helm rollback "$release" 1 -n "$ns" --wait --timeout 120s
check "rollback restored 2 replicas" sh -c \
  "'$KUBECTL' -n $ns get deployment $full -o jsonpath='{.spec.replicas}' | grep -qx 2"

# --- uninstall ---
check_no_warnings "helm uninstall --wait" helm uninstall "$release" -n "$ns" --wait --timeout 120s
for obj in "deployment/$full -n $ns" "serviceaccount/$full -n $ns" "clusterrole/$full" \
           "clusterrolebinding/$full" "validatingadmissionpolicy/$full-prevent-deletion"; do
  # shellcheck disable=SC2086
  expect_failure "uninstall removed $obj" "NotFound" kubectl get $obj
done
check "uninstall kept the CRDs" kubectl get crd tenants.tenancy.erp.dev databaseservers.tenancy.erp.dev
expect_failure "release is gone" "not found" helm status "$release" -n "$ns"

finish "helm e2e"
