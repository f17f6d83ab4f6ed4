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
import threading
import time

KUBECTL = os.environ.get("KUBECTL", "kubectl")
TICK = os.sysconf("SC_CLK_TCK")


def kubectl(*args, stdin=None, check=True):
    return subprocess.run([KUBECTL, *args], input=stdin, capture_output=True, text=True, check=check).stdout


# Process names (comm, as in /proc/PID/stat) grouped for the CPU breakdown of a burst.
GROUPS = [("tenant-operator", "operator"), ("postgres", "postgres"), ("kube-apiserver", "kube-apiserver"),
          ("etcd", "etcd"), ("kube-controller", "kube-controller-manager"), ("kube-scheduler", "kube-scheduler"),
          ("kwok", "kwok"), ("python3", "bench (python + kubectl)"), ("kubectl", "bench (python + kubectl)")]


def cpu_by_group():
    """CPU seconds per process group over all live processes: own (utime+stime) plus waited-for
    children (cutime+cstime), so exited PostgreSQL backends count through the postmaster and
    finished kubectl runs through this script."""
    out = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat") as f:
                raw = f.read()
        except OSError:
            continue
        comm = raw[raw.index("(") + 1:raw.rindex(")")]
        fields = raw.rsplit(")", 1)[1].split()
        ticks = sum(int(x) for x in fields[11:15])  # utime stime cutime cstime
        group = next((g for prefix, g in GROUPS if comm.startswith(prefix)), "other processes")
        out[group] = out.get(group, 0) + ticks / TICK
    return out


def machine_cpu():
    """(busy, total) CPU seconds of the whole machine since boot, from /proc/stat."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    idle = v[3] + v[4]  # idle + iowait
    return (sum(v[:8]) - idle) / TICK, sum(v[:8]) / TICK


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


class Tracker:
    """Follows `kubectl get tenants --watch -o json` in a thread: seconds after t0 at which
    each tenant was first seen and first seen Ready."""

    def __init__(self, ns):
        self.t0 = time.monotonic()
        self.seen_at, self.ready_at = {}, {}
        self.cv = threading.Condition()
        self.proc = subprocess.Popen([KUBECTL, "get", "tenants", "-n", ns, "--watch", "-o", "json"],
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        decoder, buf = json.JSONDecoder(), ""
        for line in self.proc.stdout:
            buf += line
            while True:
                buf = buf.lstrip()
                try:
                    obj, end = decoder.raw_decode(buf)
                except ValueError:
                    break  # incomplete object: read more
                buf = buf[end:]
                now = time.monotonic() - self.t0
                name = obj.get("metadata", {}).get("name")
                if not name:
                    continue
                with self.cv:
                    self.seen_at.setdefault(name, now)
                    if name not in self.ready_at and is_ready(obj):
                        self.ready_at[name] = now
                        self.cv.notify_all()

    def wait(self, n, deadline):
        with self.cv:
            while len(self.ready_at) < n and time.monotonic() < deadline:
                self.cv.wait(timeout=1)

    def stop(self):
        self.proc.terminate()
        self.proc.wait()


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
    # kubectl applies a List item by item (one tenant after the other, as an admin's
    # `kubectl apply -f dir/` does). One watch timestamps when each tenant is first seen and
    # when it is Ready (repeated `kubectl get` of N tenants several times a second would be
    # a CPU load of its own on a 2-core machine). The watch starts first, so that tenants
    # are seen when they are created, not when it connects.
    tracker = Tracker(ns)
    time.sleep(1)
    cpu0, _, _ = proc_stats(pid)
    groups0, machine0 = cpu_by_group(), machine_cpu()
    load0 = os.getloadavg()[0]
    t0 = tracker.t0 = time.monotonic()
    applier = subprocess.Popen([KUBECTL, "apply", "-f", "-"], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, text=True)
    applier.stdin.write(json.dumps({"apiVersion": "v1", "kind": "List", "items": docs}))
    applier.stdin.close()
    err = applier.stderr.read()
    if applier.wait() != 0:
        tracker.stop()
        sys.exit("kubectl apply failed: " + err)
    applied = time.monotonic()
    tracker.wait(n, t0 + a.timeout)
    tracker.stop()
    ready_at, seen_at = tracker.ready_at, tracker.seen_at
    cpu1, hwm_provision, _ = proc_stats(pid)
    groups1, machine1 = cpu_by_group(), machine_cpu()
    load1 = os.getloadavg()[0]
    lat = list(ready_at.values())
    own = [ready_at[k] - seen_at[k] for k in ready_at]

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
    print(f"{'burst start->Ready p50 (s)':<{w}} {pct(lat, 0.50):>12.2f}")
    print(f"{'burst start->Ready p99 (s)':<{w}} {pct(lat, 0.99):>12.2f}")
    print(f"{'per tenant created->Ready p50 (s, own apply)':<{w}} {pct(own, 0.50):>12.2f}")
    print(f"{'per tenant created->Ready p99 (s, own apply)':<{w}} {pct(own, 0.99):>12.2f}")
    print(f"{'load average (1 min) at start / at all Ready':<{w}} {f'{load0:.2f} / {load1:.2f}':>12}")
    busy, total = machine1[0] - machine0[0], machine1[1] - machine0[1]
    print(f"{'machine CPU busy during provisioning (%)':<{w}} {100 * busy / max(total, 1e-9):>12.1f}")
    for g in sorted(groups1, key=lambda g: -(groups1[g] - groups0.get(g, 0))):
        print(f"{'  CPU s during provisioning: ' + g:<{w}} {groups1[g] - groups0.get(g, 0):>12.2f}")
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
