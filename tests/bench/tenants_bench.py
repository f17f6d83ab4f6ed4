#!/usr/bin/python3
"""Applies N Tenants at once against a running control plane + tenant-operator and prints
a table: time until all are Ready, per-tenant apply->Ready p50/p99, operator peak RSS and
CPU seconds, then idle CPU over IDLE seconds with the N tenants in place.

Prerequisites (the e2e environment provides them): kubectl on PATH or $KUBECTL, KUBECONFIG
(admin), a Ready DatabaseServer named $SERVER, the operator running as pid $OPERATOR_PID.
Usage: tenants_bench.py [N=200] [IDLE=60]. Deletes its namespace (deletionPolicy Delete)
at the end. Prints numbers; asserts nothing.
"""
import json
import os
import random
import subprocess
import sys
import time

N = int(sys.argv[1]) if len(sys.argv) > 1 else 200
IDLE = int(sys.argv[2]) if len(sys.argv) > 2 else 60
KUBECTL = os.environ.get("KUBECTL", "kubectl")
SERVER = os.environ["SERVER"]
PID = int(os.environ["OPERATOR_PID"])
TICK = os.sysconf("SC_CLK_TCK")


def kubectl(*args, stdin=None):
    return subprocess.run([KUBECTL, *args], input=stdin, capture_output=True, text=True, check=True).stdout


def proc_stats(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    cpu = (int(fields[11]) + int(fields[12])) / TICK  # utime + stime
    rss_kb = 0
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                rss_kb = int(line.split()[1])
    return cpu, rss_kb / 1024


def main():
    ns = f"bench-{random.randint(100000, 999999)}"
    kubectl("create", "namespace", ns)
    run = random.randint(1000, 9999)
    docs = [{"apiVersion": "tenancy.erp.dev/v1alpha1", "kind": "Tenant",
             "metadata": {"name": f"t{i}", "namespace": ns},
             "spec": {"tenantId": f"b{run}_{i}", "database": {"serverRef": SERVER, "deletionPolicy": "Delete"},
                      "api": {"replicas": 1}}} for i in range(N)]
    cpu0, _ = proc_stats(PID)
    t0 = time.monotonic()
    kubectl("apply", "-f", "-", stdin=json.dumps({"apiVersion": "v1", "kind": "List", "items": docs}))
    applied = time.monotonic()
    ready_at = {}
    while len(ready_at) < N and time.monotonic() - t0 < 600:
        items = json.loads(kubectl("get", "tenants", "-n", ns, "-o", "json"))["items"]
        now = time.monotonic()
        for t in items:
            name = t["metadata"]["name"]
            conds = t.get("status", {}).get("conditions", [])
            if name not in ready_at and any(c["type"] == "Ready" and c["status"] == "True" for c in conds):
                ready_at[name] = now - t0
        time.sleep(0.2)
    cpu1, rss = proc_stats(PID)
    lat = sorted(ready_at.values())

    def pct(p):
        return lat[min(len(lat) - 1, int(p * len(lat)))] if lat else float("nan")

    time.sleep(5)
    idle0, _ = proc_stats(PID)
    time.sleep(IDLE)
    idle1, rss_idle = proc_stats(PID)
    print(f"{'metric':<40} {'value':>12}")
    print(f"{'tenants applied':<40} {N:>12}")
    print(f"{'tenants Ready':<40} {len(lat):>12}")
    print(f"{'kubectl apply took (s)':<40} {applied - t0:>12.2f}")
    print(f"{'all Ready after (s)':<40} {(lat[-1] if len(lat) == N else float('nan')):>12.2f}")
    print(f"{'apply->Ready p50 (s, 0.2 s polling)':<40} {pct(0.50):>12.2f}")
    print(f"{'apply->Ready p99 (s, 0.2 s polling)':<40} {pct(0.99):>12.2f}")
    print(f"{'operator CPU seconds during provisioning':<40} {cpu1 - cpu0:>12.2f}")
    print(f"{'operator peak RSS (MiB, VmHWM)':<40} {rss_idle:>12.1f}")
    print(f"{'operator idle CPU % over ' + str(IDLE) + ' s':<40} {100 * (idle1 - idle0) / IDLE:>12.2f}")
    kubectl("delete", "namespace", ns, "--wait=false")


if __name__ == "__main__":
    main()
