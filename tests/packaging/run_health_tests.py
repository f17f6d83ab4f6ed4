#!/usr/bin/python3
"""Runs the Argo CD health checks under argocd/resource_customizations with Lua 5.1.

Usage: run_health_tests.py REPO_ROOT

For every <group>/<kind>/health_test.yaml (Argo CD's format: tests[].inputPath and
tests[].healthStatus.{status,message}) the input object is turned into a Lua table and the
kind's health.lua runs the way Argo CD runs scripts from argocd-cm: `obj` is a global, the
chunk's return value is the result, and only the base library, `table` and a safe `os`
(time, date, clock) exist: no string or math library, no string methods, no io.
Status and message must match exactly; the status must be one Argo CD accepts.
"""
import datetime
import os
import subprocess
import sys
import tempfile

import yaml

VALID_STATUSES = {"Healthy", "Progressing", "Degraded", "Suspended", "Missing", "Unknown"}

# Argo CD (gopher-lua, SkipOpenLibs) opens package, base, table and a safe os; the Lua 5.1
# equivalent is a fresh environment holding only those, and no string metatable methods.
HARNESS = r"""
local script, object = ...
local chunk, err = loadfile(script)
if chunk == nil then io.stderr:write(err, "\n") os.exit(3) end
local env = {
  obj = object, table = table, _VERSION = _VERSION,
  assert = assert, error = error, ipairs = ipairs, next = next, pairs = pairs,
  pcall = pcall, rawequal = rawequal, rawget = rawget, rawset = rawset, select = select,
  setmetatable = setmetatable, getmetatable = getmetatable, tonumber = tonumber,
  tostring = tostring, type = type, unpack = unpack, xpcall = xpcall, print = print,
  os = { time = os.time, date = os.date, clock = os.clock },
}
env._G = env
setfenv(chunk, env)
local write = io.write
local string_index = getmetatable("").__index
getmetatable("").__index = nil
local ok, hs = pcall(chunk)
getmetatable("").__index = string_index
if not ok then io.stderr:write("health.lua failed: ", tostring(hs), "\n") os.exit(4) end
if type(hs) ~= "table" then io.stderr:write("health.lua returned ", type(hs), ", not a table\n") os.exit(5) end
write(tostring(hs.status), "\0", tostring(hs.message))
"""


def lua_string(s):
    out = []
    for b in s.encode("utf-8"):
        if 32 <= b < 127 and b not in (34, 92):
            out.append(chr(b))
        else:
            out.append("\\%d" % b)  # Lua 5.1 decimal escape: exact bytes, any content
    return '"' + "".join(out) + '"'


def lua_value(v):
    """The Lua value Argo CD's decodeValue builds from the unstructured object."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(v)
    if isinstance(v, (datetime.date, datetime.datetime)):
        # kubectl quotes timestamps; an unquoted one would still be a string to Argo CD.
        return lua_string(v.isoformat().replace("+00:00", "Z"))
    if isinstance(v, str):
        return lua_string(v)
    if isinstance(v, list):
        return "{" + ", ".join(lua_value(x) for x in v if x is not None) + "}"
    if isinstance(v, dict):
        return "{" + ", ".join("[%s] = %s" % (lua_string(str(k)), lua_value(x))
                               for k, x in v.items() if x is not None) + "}"
    raise TypeError(f"cannot convert {type(v).__name__} to Lua")


def run_case(lua, health, obj):
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write("local args = {...}\n")
        f.write("local object = " + lua_value(obj) + "\n")
        f.write("local harness = loadstring(args[1])\n")
        f.write("return harness(args[2], object)\n")
        driver = f.name
    try:
        r = subprocess.run([lua, driver, HARNESS, health], capture_output=True)
    finally:
        os.unlink(driver)
    if r.returncode != 0:
        return None, r.stderr.decode("utf-8", "replace").strip()
    status, _, message = r.stdout.decode("utf-8").partition("\0")
    return (status, message), None


def main():
    if len(sys.argv) != 2:
        print(__doc__)
        sys.exit(2)
    root = sys.argv[1]
    base = os.path.join(root, "argocd", "resource_customizations")
    lua = os.environ.get("LUA", "lua5.1")
    passed = failed = 0
    kinds = sorted((g, k) for g in os.listdir(base) for k in os.listdir(os.path.join(base, g)))
    if not kinds:
        print(f"FAIL: no health checks under {base}")
        sys.exit(1)
    for group, kind in kinds:
        d = os.path.join(base, group, kind)
        health = os.path.join(d, "health.lua")
        with open(os.path.join(d, "health_test.yaml")) as f:
            cases = yaml.safe_load(f)["tests"]
        if not cases:
            print(f"FAIL {group}/{kind}: health_test.yaml has no tests")
            failed += 1
        for case in cases:
            name = f"{group}/{kind} {case['inputPath']}"
            with open(os.path.join(d, case["inputPath"])) as f:
                obj = yaml.safe_load(f)
            if obj.get("kind") != kind:
                print(f"FAIL {name}: input is a {obj.get('kind')}, not a {kind}")
                failed += 1
                continue
            got, err = run_case(lua, health, obj)
            want = (case["healthStatus"]["status"], case["healthStatus"]["message"])
            if err is not None:
                print(f"FAIL {name}: {err}")
                failed += 1
            elif got[0] not in VALID_STATUSES:
                print(f"FAIL {name}: status {got[0]!r} is not one Argo CD accepts")
                failed += 1
            elif got != want:
                print(f"FAIL {name}:\n  want {want}\n  got  {got}")
                failed += 1
            else:
                print(f"ok   {name}: {got[0]}: {got[1]}")
                passed += 1
    print(f"health checks: {passed} passed, {failed} failed")
    sys.exit(1 if failed or not passed else 0)


if __name__ == "__main__":
    main()
