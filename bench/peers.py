"""The peers that bench/run.py cannot run from the development virtualenv.

- nats-core and natsio need Python >= 3.13 (and nats-core installs a package
  named ``nats``, as nats-py does): they run from a virtualenv of their own,
  bench/.peers-venv, made from the interpreter ``--peer-python`` names or
  ``find_python`` finds, with the pinned versions of ``PEER_PACKAGES``.
- nats.go runs as bench/go/worker.go, built into bench/.build/ with the Go
  toolchain in GOPATH mode against the nats.go sources of a GOPATH (Debian's
  golang-github-nats-io-go-nats-dev puts them under /usr/share/gocode).

Each ``ensure_*`` returns the command prefix of the worker, or None and the
reason, which run.py reports as ``n/a``.
"""

from __future__ import annotations

import glob
import json
import os
import re
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
VENV = os.path.join(HERE, ".peers-venv")
BUILD = os.path.join(HERE, ".build")
GO_SOURCE = os.path.join(HERE, "go", "worker.go")
GO_WORKER = os.path.join(BUILD, "natsgo-worker")
GO_PACKAGE = os.path.join("src", "github.com", "nats-io", "nats.go")
DEBIAN_GOPATH = "/usr/share/gocode"
MIN_PYTHON = (3, 13)
# nats-core 0.2.0 imports nkeys on import but lists it as an extra only, hence
# [nkeys]; uvloop: the same pin as the dev extra in pyproject.toml (--loop uvloop).
PEER_PACKAGES = [
    "nats-core[nkeys]==0.2.0",
    "nkeys==0.2.1",
    "nats-jetstream==0.3.0",
    "nats-key-value==0.1.0",
    "natsio==1.0.1",
    "uvloop==0.23.0",
]
PY_NAME = re.compile(r"python3\.(\d+)$")


def version_of(python: str) -> tuple[int, int] | None:
    """(major, minor) of the interpreter ``python``, None if it does not run."""
    try:
        out = subprocess.run(
            [python, "-c", "import sys; print(*sys.version_info[:2])"],
            capture_output=True,
            text=True,
            timeout=30,
            stdin=subprocess.DEVNULL,
        ).stdout.split()
        return (int(out[0]), int(out[1]))
    except (OSError, ValueError, IndexError, subprocess.SubprocessError):
        return None


def candidates(path: str | None = None, pyenv_root: str | None = None) -> list[str]:
    """Interpreters that may be >= 3.13: ``python3.N`` on PATH, then pyenv's versions."""
    found: list[str] = []
    for d in (path if path is not None else os.environ.get("PATH", "")).split(os.pathsep):
        for exe in sorted(glob.glob(os.path.join(d, "python3.*"))):
            m = PY_NAME.search(os.path.basename(exe))
            if m and int(m.group(1)) >= MIN_PYTHON[1] and os.access(exe, os.X_OK):
                found.append(exe)
    root = pyenv_root or os.environ.get("PYENV_ROOT") or os.path.expanduser("~/.pyenv")
    found += sorted(glob.glob(os.path.join(root, "versions", "3.*", "bin", "python3")))
    return found


def find_python(
    path: str | None = None, pyenv_root: str | None = None
) -> tuple[str, tuple[int, int]] | None:
    """The oldest interpreter >= 3.13 among ``candidates`` (the likeliest to have wheels)."""
    best: tuple[tuple[int, int], str] | None = None
    for exe in candidates(path, pyenv_root):
        v = version_of(exe)
        if v is not None and v >= MIN_PYTHON and (best is None or v < best[0]):
            best = (v, exe)
    return None if best is None else (best[1], best[0])


def _venv_python() -> str:
    return os.path.join(VENV, "bin", "python")


def ensure_peer_venv(python: str | None) -> tuple[list[str] | None, str]:
    """bench/.peers-venv made from ``python`` (None: ``find_python``) with ``PEER_PACKAGES``.

    Returns (the worker command prefix, a description) or (None, the reason).
    The venv is remade when the interpreter or the pins change.
    """
    if python == "":
        return None, "peers turned off (--peer-python '')"
    if python is None:
        hit = find_python()
        if hit is None:
            return None, "no Python >= 3.13 found (name one with --peer-python)"
        python = hit[0]
    version = version_of(python)
    if version is None:
        return None, f"cannot run {python}"
    if version < MIN_PYTHON:
        return None, f"{python} is Python {version[0]}.{version[1]}; the peers need >= 3.13"
    want = {"python": os.path.realpath(python), "packages": PEER_PACKAGES}
    stamp = os.path.join(VENV, "natskit-bench.json")
    try:
        with open(stamp, encoding="utf-8") as f:
            if json.load(f) == want:
                return [_venv_python(), os.path.join(HERE, "worker.py")], _describe(python)
    except (OSError, ValueError):
        pass
    shutil.rmtree(VENV, ignore_errors=True)
    pip = [_venv_python(), "-m", "pip", "install", "-q", "--disable-pip-version-check"]
    steps = [[python, "-m", "venv", VENV], [*pip, *PEER_PACKAGES]]
    for cmd in steps:
        print(f"# {' '.join(cmd[:4])} ...", file=sys.stderr, flush=True)
        proc = subprocess.run(cmd, capture_output=True, text=True, stdin=subprocess.DEVNULL)
        if proc.returncode != 0:
            tail = (proc.stderr.strip().splitlines() or ["?"])[-1]
            return None, f"making {VENV} failed: {tail}"
    with open(stamp, "w", encoding="utf-8") as f:
        json.dump(want, f)
    return [_venv_python(), os.path.join(HERE, "worker.py")], _describe(python)


def _describe(python: str) -> str:
    code = (
        "import platform, importlib.metadata as m; print(platform.python_version(), "
        "*(m.version(p) for p in ('nats-core', 'nats-jetstream', 'nats-key-value', 'natsio')))"
    )
    out = subprocess.run([_venv_python(), "-c", code], capture_output=True, text=True).stdout
    parts = out.split()
    if len(parts) != 5:
        return f"Python of {python}"
    return (
        f"Python {parts[0]}: nats-core {parts[1]}, nats-jetstream {parts[2]}, "
        f"nats-key-value {parts[3]}, natsio {parts[4]}"
    )


def gopath(env: dict[str, str] | None = None) -> str | None:
    """The first GOPATH entry (of $GOPATH, then Debian's) that holds nats.go's sources."""
    env = os.environ if env is None else env
    roots = [p for p in env.get("GOPATH", "").split(os.pathsep) if p] + [DEBIAN_GOPATH]
    return next((r for r in roots if os.path.isdir(os.path.join(r, GO_PACKAGE))), None)


def ensure_go_worker() -> tuple[list[str] | None, str]:
    """bench/.build/natsgo-worker, built from bench/go/worker.go when older than it."""
    go = shutil.which("go")
    if go is None:
        return None, "go is not on PATH"
    root = gopath()
    if root is None:
        return None, f"no nats.go sources in GOPATH or {DEBIAN_GOPATH} ({GO_PACKAGE})"
    fresh = os.path.exists(GO_WORKER) and os.path.getmtime(GO_WORKER) >= os.path.getmtime(GO_SOURCE)
    if not fresh:
        os.makedirs(BUILD, exist_ok=True)
        env = {**os.environ, "GO111MODULE": "off", "GOPATH": root, "GOFLAGS": ""}
        proc = subprocess.run(
            [go, "build", "-o", GO_WORKER, GO_SOURCE],
            capture_output=True,
            text=True,
            env=env,
            stdin=subprocess.DEVNULL,
        )
        if proc.returncode != 0:
            tail = (proc.stderr.strip().splitlines() or ["?"])[-1]
            return None, f"go build failed: {tail}"
    version = subprocess.run([GO_WORKER, "version"], capture_output=True, text=True).stdout
    return [GO_WORKER], version.strip() or "nats.go"
