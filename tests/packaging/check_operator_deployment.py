#!/usr/bin/python3
"""Checks the operator Deployment in a rendered manifest stream (kustomize or helm output).

Usage: check_operator_deployment.py RENDERED.yaml [--replicas N] [--operator-binary PATH]

- replicas (default 2) and --leader-elect when replicas > 1;
- probes: liveness /healthz and readiness /readyz on port 8081; a metrics container port
  that the --metrics-bind-address flag names, exposed by a Service selecting the pods;
- Pod Security "restricted": runAsNonRoot, non-zero UID, seccomp RuntimeDefault, no
  privilege escalation, capabilities drop ALL, read-only root filesystem;
- resource requests and limits for cpu and memory;
- with --operator-binary: every flag in the container args appears in `BINARY --help`,
  so a flag the operator does not know cannot ship (pods under kwok never run it).
"""
import argparse
import re
import subprocess
import sys

import yaml


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("rendered")
    ap.add_argument("--replicas", type=int, default=2)
    ap.add_argument("--operator-binary")
    a = ap.parse_args()
    with open(a.rendered) as f:
        docs = [d for d in yaml.safe_load_all(f) if isinstance(d, dict)]
    deployments = [d for d in docs if d.get("kind") == "Deployment"]
    problems = []
    if len(deployments) != 1:
        print(f"FAIL: expected one Deployment, found {len(deployments)}")
        sys.exit(1)
    dep = deployments[0]
    spec = dep["spec"]
    pod = spec["template"]["spec"]
    labels = spec["template"]["metadata"]["labels"]
    containers = pod["containers"]
    if len(containers) != 1:
        problems.append(f"expected one container, found {len(containers)}")
    c = containers[0]
    args = c.get("args", [])

    if spec.get("replicas") != a.replicas:
        problems.append(f"replicas {spec.get('replicas')}, want {a.replicas}")
    if a.replicas > 1 and "--leader-elect" not in args:
        problems.append("more than one replica without --leader-elect")

    ports = {p.get("name"): p["containerPort"] for p in c.get("ports", [])}
    for probe, path in (("livenessProbe", "/healthz"), ("readinessProbe", "/readyz")):
        get = c.get(probe, {}).get("httpGet", {})
        port = get.get("port")
        port = ports.get(port, port)
        if get.get("path") != path or port != 8081:
            problems.append(f"{probe} must GET {path} on 8081, is {get}")
    flag = {m.group(1): m.group(2) for m in (re.match(r"--([a-z-]+)=?(.*)", x) for x in args) if m}
    if flag.get("health-probe-bind-address") != ":8081":
        problems.append("--health-probe-bind-address=:8081 missing")
    metrics_port = flag.get("metrics-bind-address", ":8080").lstrip(":")
    if ports.get("metrics") != int(metrics_port):
        problems.append(f"container port 'metrics' {ports.get('metrics')} does not match "
                        f"--metrics-bind-address :{metrics_port}")
    services = [d for d in docs if d.get("kind") == "Service"
                and all(labels.get(k) == v for k, v in d["spec"].get("selector", {}).items())
                and any(p.get("targetPort") in ("metrics", int(metrics_port)) for p in d["spec"]["ports"])]
    if not services:
        problems.append("no Service exposes the metrics port of the operator pods")

    psc = pod.get("securityContext", {})
    csc = c.get("securityContext", {})
    run_as_non_root = csc.get("runAsNonRoot", psc.get("runAsNonRoot"))
    uid = csc.get("runAsUser", psc.get("runAsUser"))
    seccomp = csc.get("seccompProfile", psc.get("seccompProfile", {})).get("type")
    if run_as_non_root is not True:
        problems.append("runAsNonRoot must be true")
    if not uid:
        problems.append("runAsUser must be a non-zero UID")
    if seccomp != "RuntimeDefault":
        problems.append("seccompProfile must be RuntimeDefault")
    if csc.get("allowPrivilegeEscalation") is not False:
        problems.append("allowPrivilegeEscalation must be false")
    if csc.get("capabilities", {}).get("drop") != ["ALL"]:
        problems.append("capabilities must drop ALL")
    if csc.get("readOnlyRootFilesystem") is not True:
        problems.append("readOnlyRootFilesystem must be true")
    res = c.get("resources", {})
    for kind in ("requests", "limits"):
        for r in ("cpu", "memory"):
            if r not in res.get(kind, {}):
                problems.append(f"resources.{kind}.{r} missing")

    if a.operator_binary:
        r = subprocess.run([a.operator_binary, "--help"], capture_output=True, text=True)
        known = set(re.findall(r"--([a-z][a-z0-9-]*)", r.stdout + r.stderr))
        for name in sorted(flag):
            if name not in known:
                problems.append(f"flag --{name} is not in `{a.operator_binary} --help`")

    for p in problems:
        print("FAIL:", p)
    if problems:
        sys.exit(1)
    print(f"ok: Deployment {dep['metadata']['name']}: {a.replicas} replicas, probes, metrics "
          f":{metrics_port}, restricted, resources" + (", flags known" if a.operator_binary else ""))


if __name__ == "__main__":
    main()
