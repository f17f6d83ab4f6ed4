#!/usr/bin/python3
"""Checks a Dockerfile against the binary it packages (no container engine needed).

Usage: check_image_libs.py DOCKERFILE BINARY INSTALL_DEPS_SH

- Every shared library `ldd BINARY` resolves belongs (dpkg -S) to a package that the
  runtime stage installs, and every package the runtime stage installs provides one of
  them (exactly the runtime libraries), apart from NON_LIBRARY_PACKAGES.
- The build stage installs only packages scripts/install-deps.sh installs, so the image is
  built exactly like the tree the tests ran on.
- Shape: build on debian:bookworm, run on debian:bookworm-slim, non-root UID 65532,
  exec-form ENTRYPOINT that is the copied binary, OCI labels.
BINARY must be built the way the image builds it (RelWithDebInfo, no sanitizers): which
libraries end up NEEDED depends on the build type, because the linker drops unused ones.
"""
import os
import re
import shlex
import subprocess
import sys

# Packages a runtime stage may install that hold no shared library, with the reason.
NON_LIBRARY_PACKAGES = {
    "ca-certificates": "system trust store for outgoing HTTPS (Sentry)",
}
REQUIRED_LABELS = ("org.opencontainers.image.title", "org.opencontainers.image.description",
                   "org.opencontainers.image.version")


def fail(problems):
    for p in problems:
        print("FAIL:", p)
    sys.exit(1)


def instructions(path):
    """Dockerfile instructions as (KEYWORD, argument text), continuations joined."""
    out, buf = [], ""
    with open(path) as f:
        for raw in f:
            line = raw.rstrip("\n")
            if not buf and (not line.strip() or line.lstrip().startswith("#")):
                continue
            if line.lstrip().startswith("#"):  # comment inside a continued instruction
                continue
            if line.endswith("\\"):
                buf += line[:-1] + " "
                continue
            buf += line
            keyword, _, rest = buf.strip().partition(" ")
            out.append((keyword.upper(), rest.strip()))
            buf = ""
    return out


def stages(instrs):
    result = []
    for kw, arg in instrs:
        if kw == "FROM":
            result.append({"from": arg, "instrs": []})
        elif result:
            result[-1]["instrs"].append((kw, arg))
    return result


def apt_packages(stage):
    pkgs = []
    for kw, arg in stage["instrs"]:
        if kw != "RUN":
            continue
        for command in re.split(r"&&|;", arg):
            words = shlex.split(command)
            if words[:2] == ["apt-get", "install"]:
                pkgs += [w for w in words[2:] if not w.startswith("-")]
    return pkgs


def candidates(path):
    # Debian 12 is merged-/usr: ldd prints /lib/... while dpkg may know /usr/lib/... (or
    # the reverse), and sonames are often symlinks, so try the spellings in turn.
    real = os.path.realpath(path)
    return [path, "/usr" + path, path.removeprefix("/usr"), real, "/usr" + real,
            real.removeprefix("/usr")]


def owning_packages(paths):
    """{path: package} for each path, from one `dpkg -S` over every spelling."""
    queries = sorted({c for p in paths for c in candidates(p)})
    # dpkg -S exits 1 when some spelling is unknown; the known ones are still printed.
    r = subprocess.run(["dpkg", "-S"] + queries, capture_output=True, text=True)
    owner = {}
    for line in r.stdout.splitlines():
        pkgs, sep, file = line.partition(": ")
        if sep and file:
            owner.setdefault(file.strip(), pkgs.split(",")[0].split(":")[0].strip())
    return {p: next((owner[c] for c in candidates(p) if c in owner), None) for p in paths}


def needed_libraries(binary):
    r = subprocess.run(["ldd", binary], capture_output=True, text=True)
    if r.returncode != 0:
        fail([f"ldd {binary} failed: {r.stderr.strip() or r.stdout.strip()}"])
    libs = []
    for line in r.stdout.splitlines():
        line = line.strip()
        if "not found" in line:
            fail([f"ldd {binary}: {line}"])
        m = re.search(r"=>\s+(/\S+)", line) or re.match(r"(/\S+)", line)
        if m:
            libs.append(m.group(1))
    return libs


def install_deps_packages(path):
    text = open(path).read()
    m = re.search(r"PACKAGES=\((.*?)\n\)", text, re.S)
    if not m:
        fail([f"{path}: no PACKAGES=( ... ) array"])
    words = []
    for line in m.group(1).splitlines():
        words += line.split("#", 1)[0].split()
    return set(words)


def main():
    args = sys.argv[1:]
    if len(args) != 3:
        print(__doc__)
        sys.exit(2)
    dockerfile, binary, install_deps = args
    problems = []
    st = stages(instructions(dockerfile))
    if len(st) != 2:
        fail([f"{dockerfile}: expected 2 stages (build, runtime), found {len(st)}"])
    build, runtime = st
    if not re.fullmatch(r"debian:(bookworm|12) AS build", build["from"], re.I):
        problems.append(f"build stage must be 'FROM debian:bookworm AS build', is '{build['from']}'")
    if runtime["from"] != "debian:bookworm-slim":
        problems.append(f"runtime stage must be 'FROM debian:bookworm-slim', is '{runtime['from']}'")

    allowed = install_deps_packages(install_deps)
    for pkg in apt_packages(build):
        if pkg not in allowed:
            problems.append(f"build stage installs {pkg}, which scripts/install-deps.sh does not")

    runtime_pkgs = apt_packages(runtime)
    if runtime_pkgs != sorted(runtime_pkgs):
        problems.append("runtime packages must be sorted, one per line")
    name = os.path.basename(binary)
    needed = {}
    libs = needed_libraries(binary)
    owners = owning_packages(libs)
    for lib in libs:
        pkg = owners[lib]
        if pkg is None:
            problems.append(f"{lib} (needed by {name}) belongs to no Debian package")
            continue
        needed.setdefault(pkg, []).append(os.path.basename(lib))
    for pkg in sorted(needed):
        if pkg not in runtime_pkgs:
            problems.append(f"{name} needs {', '.join(needed[pkg])} from package {pkg}, "
                            "which the runtime stage does not install")
    for pkg in runtime_pkgs:
        if pkg not in needed and pkg not in NON_LIBRARY_PACKAGES:
            problems.append(f"runtime stage installs {pkg}, but {name} loads no library from it")

    kws = runtime["instrs"]
    users = [a for k, a in kws if k == "USER"]
    if users != ["65532:65532"]:
        problems.append(f"runtime stage must run as USER 65532:65532, has {users}")
    entry = [a for k, a in kws if k == "ENTRYPOINT"]
    target = f"/usr/local/bin/{name}"
    if entry != [f'["{target}"]']:
        problems.append(f"ENTRYPOINT must be the exec form [\"{target}\"], is {entry}")
    if not any(k == "COPY" and a.startswith("--from=build ") and a.endswith(" " + target)
               for k, a in kws):
        problems.append(f"runtime stage must COPY --from=build the binary to {target}")
    labels = " ".join(a for k, a in kws if k == "LABEL")
    for label in REQUIRED_LABELS:
        if label + "=" not in labels:
            problems.append(f"missing OCI label {label}")

    if problems:
        fail(problems)
    print(f"ok: {name}: {len(needed)} runtime packages, all installed by {dockerfile}: "
          + " ".join(sorted(needed)))


if __name__ == "__main__":
    main()
