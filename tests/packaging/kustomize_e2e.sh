#!/usr/bin/env bash
# manifests/default and manifests/samples against the real local kube-apiserver:
#   kubectl kustomize manifests/default | kubectl apply --server-side -f -
# succeeds with no warnings into namespace tenant-operator-system, which enforces Pod
# Security "restricted"; the operator pods are admitted and become Available (kwok); a
# re-apply changes nothing; the ServiceAccount gets the permissions the operator needs and
# not more; the preventDeletion admission policy denies deleting a protected Tenant; the
# samples pass server-side validation.
# Usage: kustomize_e2e.sh [OPERATOR_BINARY]  (env TENANT_CLUSTER_DIR: the local cluster)
# Leaves the install in place (CRDs are shared with the other e2e suites running on the
# same cluster, and deleting them would delete their Tenants); the cluster is torn down
# after the run.
source "$(dirname "$0")/lib.sh"
ns=tenant-operator-system
sa=system:serviceaccount:$ns:tenant-operator
binary_args=()
[[ -n ${1:-} ]] && binary_args=(--operator-binary "$1")

check "kustomize build" sh -c "'$KUBECTL' kustomize '$repo/manifests/default' > '$work/default.yaml'"
check "operator Deployment shape" "$py" "$pkg_here/check_operator_deployment.py" "$work/default.yaml" "${binary_args[@]}"
check_no_warnings "apply --server-side (no warnings)" kubectl apply --server-side -f "$work/default.yaml"
check "namespace enforces Pod Security restricted" sh -c \
  "'$KUBECTL' get namespace $ns -o jsonpath='{.metadata.labels.pod-security\.kubernetes\.io/enforce}' | grep -qx restricted"
check "CRDs established" kubectl wait --for=condition=Established --timeout=60s \
  crd/tenants.tenancy.erp.dev crd/databaseservers.tenancy.erp.dev
# kwok marks the pods Running and Ready: Available proves the ReplicaSet could create them,
# i.e. the restricted namespace admitted the pod template and the ServiceAccount exists.
check "operator Deployment Available (pods admitted)" kubectl -n $ns wait --for=condition=Available \
  --timeout=90s deployment/tenant-operator
check "2 operator pods" sh -c "'$KUBECTL' -n $ns get pods -l app.kubernetes.io/name=tenant-operator \
  -o name | wc -l | grep -qx 2"
expect_failure "restricted is enforced: a privileged pod is rejected" "violates PodSecurity" \
  kubectl -n $ns run pss-probe --image=busybox --dry-run=server --privileged
check "re-apply is a no-op (kubectl diff --server-side)" kubectl diff --server-side -f "$work/default.yaml"

# Least privilege: what the operator must be able to do, and a sample of what it must not.
allowed=(
  "list tenants.tenancy.erp.dev" "watch tenants.tenancy.erp.dev" "patch tenants.tenancy.erp.dev"
  "update tenants.tenancy.erp.dev --subresource=status"
  "list databaseservers.tenancy.erp.dev" "watch databaseservers.tenancy.erp.dev"
  "update databaseservers.tenancy.erp.dev --subresource=status"
  "create secrets -n tenants" "patch secrets -n tenants" "watch secrets -n tenants"
  "patch deployments.apps -n tenants" "patch services -n tenants" "patch poddisruptionbudgets.policy -n tenants"
  "patch horizontalpodautoscalers.autoscaling -n tenants" "patch networkpolicies.networking.k8s.io -n tenants"
  "create events.events.k8s.io -n tenants"
  "create leases.coordination.k8s.io -n $ns" "update leases.coordination.k8s.io -n $ns"
)
denied=(
  "create pods -n tenants" "delete namespaces" "create clusterroles.rbac.authorization.k8s.io"
  "create customresourcedefinitions.apiextensions.k8s.io" "patch validatingadmissionpolicies.admissionregistration.k8s.io"
  "update leases.coordination.k8s.io -n kube-system" "create serviceaccounts/token -n tenants"
  "delete tenants.tenancy.erp.dev" "create databaseservers.tenancy.erp.dev" "patch databaseservers.tenancy.erp.dev"
  "get nodes" "delete secrets -n tenants" "delete deployments.apps -n tenants"
)
can_i() { # expected(yes|no) verb resource [flags]
  local want=$1 got; shift
  got=$("$KUBECTL" auth can-i "$@" --as="$sa" 2>"$work/out") || true
  echo "can-i answered '$got'" >>"$work/out"
  if [[ $got == "$want" ]]; then pass "ServiceAccount $want: $*"; else fail "ServiceAccount $want: $*"; fi
}
for verb_res in "${allowed[@]}"; do
  # shellcheck disable=SC2086
  can_i yes $verb_res
done
for verb_res in "${denied[@]}"; do
  # shellcheck disable=SC2086
  can_i no $verb_res
done
can_i no '*' '*' --all-namespaces

# The preventDeletion ValidatingAdmissionPolicy from manifests/ (it may take a moment for
# the API server to load a new policy, hence the retry).
test_ns=pkg-vap-$$
restricted_namespace "$test_ns"
apply_protected_tenant "$test_ns" protected pkg_protected
check_within 30 "preventDeletion: DELETE of a protected Tenant is denied" \
  delete_denied_by_prevent_deletion "$test_ns" protected
kubectl -n "$test_ns" patch tenant protected --type merge -p '{"spec":{"preventDeletion":false}}' >/dev/null
check "preventDeletion false: DELETE is admitted" kubectl -n "$test_ns" delete tenant protected --wait=false

# Samples: their namespaces exist for real, everything else is validated server-side only
# (a real DatabaseServer would send an operator running on this cluster to connect to it).
for n in $(kubectl kustomize "$repo/manifests/samples" | "$py" -c \
  'import sys,yaml; print(" ".join(d["metadata"]["name"] for d in yaml.safe_load_all(sys.stdin) if d and d["kind"]=="Namespace"))'); do
  kubectl create namespace "$n" >/dev/null 2>&1 || true
done
check_no_warnings "samples pass --dry-run=server (no warnings)" \
  kubectl apply --server-side --dry-run=server -k "$repo/manifests/samples"
check "samples: a DatabaseServer and two Tenants" sh -c "'$KUBECTL' kustomize '$repo/manifests/samples' | grep -c '^kind: \(DatabaseServer\|Tenant\)$' | grep -qx 3"

finish "kustomize e2e"
