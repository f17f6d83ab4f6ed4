#!/usr/bin/python3
"""Applies N Tenants at once against a running control plane + tenant-operator and prints
a table: time until all are Ready, per-tenant apply->Ready p50/p99, operator peak RSS and
CPU seconds, idle CPU over IDLE seconds with the N tenants in place (after activity settled), then the apply->Ready
latency of single tenants applied one at a time to the (otherwise idle) operator.

Prerequisites (the e2e environment provides them; see the [.bench] test case in
tests/e2e/operator/tenant_crash_test.cpp): kubectl on PATH or $KUBECTL, KUBECONFIG
(admin), a Ready DatabaseServer named $SERVER, the operator running as pid $OPERATOR_PID.

Usage: tenants_bench.py [--tenants N] [--idle SECONDS] [--single K] [--namespace NS] [--keep]
                        [--deletion-policy Delete|Retain]
       tenants_bench.py [N] [IDLE]          (old positional form)
--keep leaves the namespace and its tenants in place (the caller measures more and
deletes it); otherwise the namespace is deleted (deletionPolicy Delete) at the end.
Prints numbers; asserts nothing.
"""
import argparse
import json
import os
import random
import subprocess
import sys
import time

KUBECTL = os.environ.get("KUBECTL", "kubectl")
TICK = os.sysconf("SC_CLK_TCK")


def kubectl(*args, stdin=None, check=True):
    return subprocess.run([KUBECTL, *args], input=stdin, capture_output=True, text=True, check=check).stdout


def proc_stats(pid):
    """(CPU seconds, peak RSS MiB, current RSS MiB) of pid."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    cpu = (int(fields[11]) + int(fields[12])) / TICK  # utime + stime
    hwm = rss = 0
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                hwm = int(line.split()[1])
            elif line.startswith("VmRSS:"):
                rss = int(line.split()[1])
    return cpu, hwm / 1024, rss / 1024


DELETION_POLICY = "Delete"


def tenant_doc(ns, name, tenant_id, server):
    return {"apiVersion": "tenancy.erp.dev/v1alpha1", "kind": "Tenant",
            "metadata": {"name": name, "namespace": ns},
            "spec": {"tenantId": tenant_id, "database": {"serverRef": server, "deletionPolicy": DELETION_POLICY},
                     "api": {"replicas": 1}}}


def is_ready(t):
    conds = t.get("status", {}).get("conditions", [])
    return any(c["type"] == "Ready" and c["status"] == "True" for c in conds) and \
        t.get("status", {}).get("observedGeneration") == t["metadata"].get("generation")


def pct(values, p):
    v = sorted(values)
    return v[min(len(v) - 1, int(p * len(v)))] if v else float("nan")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("pos", nargs="*", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--tenants", type=int, default=200)
    ap.add_argument("--idle", type=int, default=60, help="seconds of idle CPU measurement")
    ap.add_argument("--single", type=int, default=10, help="tenants applied one at a time afterwards (0 = skip)")
    ap.add_argument("--timeout", type=int, default=900, help="give up waiting for Ready after this many seconds")
    ap.add_argument("--settle", type=int, default=120, help="at most this many seconds waiting for quiet before idle")
    ap.add_argument("--namespace", default="")
    ap.add_argument("--keep", action="store_true")
    ap.add_argument("--deletion-policy", default="Delete", choices=["Delete", "Retain"])
    a = ap.parse_args()
    global DELETION_POLICY
    DELETION_POLICY = a.deletion_policy
    n = a.pos[0] if len(a.pos) > 0 else a.tenants
    idle = a.pos[1] if len(a.pos) > 1 else a.idle
    server = os.environ["SERVER"]
    pid = int(os.environ["OPERATOR_PID"])

    ns = a.namespace or f"bench-{random.randint(100000, 999999)}"
    kubectl("create", "namespace", ns)
    run = random.randint(1000, 9999)
    docs = [tenant_doc(ns, f"t{i}", f"b{run}_{i}", server) for i in range(n)]
    cpu0, _, _ = proc_stats(pid)
    t0 = time.monotonic()
    # kubectl applies a List item by item; chunks keep each invocation short.
    for i in range(0, n, 250):
        kubectl("apply", "-f", "-", stdin=json.dumps({"apiVersion": "v1", "kind": "List", "items": docs[i:i + 250]}))
    applied = time.monotonic()
    ready_at = {}
    while len(ready_at) < n and time.monotonic() - t0 < a.timeout:
        items = json.loads(kubectl("get", "tenants", "-n", ns, "-o", "json"))["items"]
        now = time.monotonic()
        for t in items:
            if t["metadata"]["name"] not in ready_at and is_ready(t):
                ready_at[t["metadata"]["name"]] = now - t0
        time.sleep(0.2)
    cpu1, hwm_provision, _ = proc_stats(pid)
    lat = list(ready_at.values())

    # Settle: Deployment status updates from kube-controller-manager trail the last Ready
    # by a while on a loaded machine; idle starts when 10 s in a row used < 2 % CPU.
    settle_start = time.monotonic()
    last, quiet = proc_stats(pid)[0], 0
    while quiet < 10 and time.monotonic() - settle_start < a.settle:
        time.sleep(1)
        cur = proc_stats(pid)[0]
        quiet = quiet + 1 if cur - last < 0.02 else 0
        last = cur
    settled_after = time.monotonic() - settle_start
    idle0, _, _ = proc_stats(pid)
    time.sleep(idle)
    idle1, hwm_idle, rss_idle = proc_stats(pid)

    single = []
    for i in range(a.single):
        name = f"s{i}"
        start = time.monotonic()
        kubectl("apply", "-f", "-", stdin=json.dumps(tenant_doc(ns, name, f"b{run}_s{i}", server)))
        kubectl("wait", "-n", ns, f"tenant/{name}", "--for=condition=Ready", "--timeout=120s", check=False)
        single.append(time.monotonic() - start)
        time.sleep(1)

    w = 52
    print(f"{'metric':<{w}} {'value':>12}")
    print(f"{'tenants applied at once':<{w}} {n:>12}")
    print(f"{'tenants Ready':<{w}} {len(lat):>12}")
    print(f"{'kubectl apply took (s)':<{w}} {applied - t0:>12.2f}")
    print(f"{'all Ready after (s)':<{w}} {(max(lat) if len(lat) == n else float('nan')):>12.2f}")
    print(f"{'burst apply->Ready p50 (s, 0.2 s polling)':<{w}} {pct(lat, 0.50):>12.2f}")
    print(f"{'burst apply->Ready p99 (s, 0.2 s polling)':<{w}} {pct(lat, 0.99):>12.2f}")
    print(f"{'operator CPU seconds during provisioning':<{w}} {cpu1 - cpu0:>12.2f}")
    print(f"{'operator peak RSS (MiB, VmHWM)':<{w}} {hwm_idle:>12.1f}")
    print(f"{'operator RSS after idle (MiB, VmRSS)':<{w}} {rss_idle:>12.1f}")
    print(f"{'settled (10 s under 2 % CPU) after (s)':<{w}} {settled_after:>12.1f}")
    print(f"{'operator idle CPU % over ' + str(idle) + ' s':<{w}} {100 * (idle1 - idle0) / idle:>12.2f}")
    if single:
        print(f"{'single tenant apply->Ready p50 (s, ' + str(len(single)) + ' one at a time)':<{w}} "
              f"{pct(single, 0.50):>12.2f}")
        print(f"{'single tenant apply->Ready max (s)':<{w}} {max(single):>12.2f}")
    sys.stdout.flush()
    if not a.keep:
        # Wait: the operator needs its DatabaseServer to clean up, and the caller may stop both.
        kubectl("delete", "namespace", ns, "--timeout=900s", check=False)


if __name__ == "__main__":
    main()
