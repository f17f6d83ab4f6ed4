#!/usr/bin/env python3
"""The environment a tenant-api pod would get, for running tenant-api as a local process.

Pods under kwok never execute, so the demo runs `tenant-api serve` itself. This reads the
Deployment the operator applied (`kubectl get deployment <tenant>-api -o json`) and the
Secrets of the tenant's namespace (`kubectl get secrets -o json`) and resolves the `api`
container's env exactly as the kubelet would: `value` as is, `valueFrom.secretKeyRef` from
the Secret (a missing optional key is left out, a missing required one is an error, as a
pod would fail to start). Secret volumes are written under FILES_ROOT at their mount path
(FILES_ROOT/etc/tenant-db/ca.crt for /etc/tenant-db), and env values pointing into a mount
are rewritten to the local copy. --set NAME=VALUE overrides a variable (local port, bind
address, environment).

Usage: tenant_env.py DEPLOYMENT_JSON SECRETS_JSON FILES_ROOT [--set NAME=VALUE]... > ENV_FILE
Writes `export NAME='value'` lines (shell-quoted); the caller keeps ENV_FILE private (0600).
"""
import base64
import json
import os
import shlex
import sys


def fail(msg):
    sys.exit(f"tenant_env.py: {msg}")


def secret_data(secrets, name):
    for s in secrets.get("items", []):
        if s["metadata"]["name"] == name:
            return {k: base64.b64decode(v) for k, v in (s.get("data") or {}).items()}
    return None


def resolve_env(container, secrets):
    env = {}
    for e in container.get("env", []):
        if "value" in e:
            env[e["name"]] = e["value"]
            continue
        ref = e.get("valueFrom", {}).get("secretKeyRef")
        if ref is None:
            fail(f"env {e['name']}: only value and secretKeyRef are supported locally")
        data = secret_data(secrets, ref["name"])
        if data is None or ref["key"] not in data:
            if ref.get("optional"):
                continue
            fail(f"env {e['name']}: Secret {ref['name']} has no key {ref['key']} (a pod would not start)")
        env[e["name"]] = data[ref["key"]].decode()
    return env


def write_secret_mounts(pod_spec, container, secrets, root):
    """Writes each mounted Secret volume under root; returns {mount path: local dir}."""
    volumes = {v["name"]: v for v in pod_spec.get("volumes", [])}
    mounts = {}
    for m in container.get("volumeMounts", []):
        src = volumes.get(m["name"], {}).get("secret")
        if src is None:
            continue  # emptyDir (/tmp) and the like: the local process has its own
        data = secret_data(secrets, src["secretName"])
        if data is None:
            fail(f"volume {m['name']}: Secret {src['secretName']} not found")
        items = src.get("items") or [{"key": k, "path": k} for k in data]
        local = os.path.join(root, m["mountPath"].lstrip("/"))
        os.makedirs(local, mode=0o700, exist_ok=True)
        for item in items:
            path = os.path.join(local, item["path"])
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "wb") as f:
                f.write(data[item["key"]])
        mounts[m["mountPath"].rstrip("/")] = local
    return mounts


def main(argv):
    args, overrides = [], {}
    i = 0
    while i < len(argv):
        if argv[i] == "--set" and i + 1 < len(argv) and "=" in argv[i + 1]:
            name, value = argv[i + 1].split("=", 1)
            overrides[name] = value
            i += 2
        else:
            args.append(argv[i])
            i += 1
    if len(args) != 3:
        fail("usage: tenant_env.py DEPLOYMENT_JSON SECRETS_JSON FILES_ROOT [--set NAME=VALUE]...")
    with open(args[0]) as f:
        deployment = json.load(f)
    with open(args[1]) as f:
        secrets = json.load(f)
    pod_spec = deployment["spec"]["template"]["spec"]
    containers = [c for c in pod_spec["containers"] if c["name"] == "api"]
    if not containers:
        fail("the Deployment has no container named api")
    container = containers[0]

    env = resolve_env(container, secrets)
    mounts = write_secret_mounts(pod_spec, container, secrets, args[2])
    for name, value in env.items():
        for mount_path, local in mounts.items():
            if value == mount_path or value.startswith(mount_path + "/"):
                env[name] = local + value[len(mount_path):]
    env.update(overrides)
    for name in sorted(env):
        print(f"export {name}={shlex.quote(env[name])}")


if __name__ == "__main__":
    main(sys.argv[1:])
