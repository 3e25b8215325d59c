"""natskit developer commands; they work from any directory with Python 3.10+ and pip.

    python3 tools/dev.py demo [args...]   run natskit.demo with args
    python3 tools/dev.py test [args...]   static checks, then pytest with args, twice: with
                                          the compiled accelerator and with pure Python
                                          (NATSKIT_NO_EXTENSIONS=1); --one-path: pytest
                                          once, as the environment says
    python3 tools/dev.py check            static checks: unasync --check, ruff (lint and
                                          format), mypy
    python3 tools/dev.py gen              regenerate the blocking code (tools/unasync.py)
    python3 tools/dev.py docs [args...]   build the docs site into site/ (mkdocs build
                                          --strict: a warning, such as a broken link,
                                          fails); args go to mkdocs build
                                          (not -q: it hides the warnings)
    python3 tools/dev.py package          build the sdist and wheel into dist/, twine check
                                          them, install the wheel with its testing extra
                                          into a fresh virtualenv and run tools/smoke.py there

Each command first makes sure of the virtualenv ``.venv`` in the repository
root, with the project installed in editable mode (``demo``: ``.[server]``,
the others: ``.[dev]``); the install is skipped while pyproject.toml, setup.py
and the C sources have the hash recorded by the last one (a changed C file is
rebuilt). ``test`` runs every step even after a failure and fails if any did,
or if pytest collected no tests; pytest runs in the repository root, so paths
among its args are relative to it. Where the accelerator could not be built,
``test`` says so and runs pytest once.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".venv"
DIST = ROOT / "dist"
SRC = ROOT / "src" / "natskit"  # the C sources of the accelerator are here


def venv_python(venv: Path) -> Path:
    """The python of the virtualenv ``venv``."""
    return venv / ("Scripts/python.exe" if sys.platform == "win32" else "bin/python")


VENV_PYTHON = venv_python(VENV)

PYTEST_NO_TESTS_COLLECTED = 5
NO_EXT = "NATSKIT_NO_EXTENSIONS"  # set: natskit imports its pure-Python code only

USAGE = __doc__ or ""


def header(text: str) -> None:
    """Print a one-line step header, flushed before the step's own output."""
    print(f"==> {text}", flush=True)


def run(args: Sequence[str], cwd: Path = ROOT) -> int:
    """Run a command in ``cwd`` (the repository root); return its exit status."""
    return subprocess.call(list(args), cwd=cwd)


def install_digest() -> str:
    """The hash of what an install builds from: the project's metadata, C sources and header."""
    sha = hashlib.sha256()
    for path in [ROOT / "pyproject.toml", ROOT / "setup.py", *sorted(SRC.glob("*.[ch]"))]:
        sha.update(path.relative_to(ROOT).as_posix().encode() + b"\0")
        sha.update(path.read_bytes() + b"\0")
    return sha.hexdigest()


def ensure_venv(extras: str) -> str:
    """(Re)create .venv if it has no python, install ``.[extras]`` if stale; return its python."""
    python = str(VENV_PYTHON)
    if not VENV_PYTHON.exists():
        header(f"creating {VENV}")
        if run([sys.executable, "-m", "venv", "--clear", str(VENV)]) != 0:
            sys.exit(
                f"error: `{sys.executable} -m venv` failed "
                "(on Debian/Ubuntu: apt-get install python3-venv)"
            )
    stamp = VENV / f".natskit-install-{extras}.stamp"
    digest = install_digest()
    if stamp.exists() and stamp.read_text().strip() == digest:
        return python
    header(f"pip install -e .[{extras}]")
    if run([python, "-m", "pip", "install", "-q", "-e", f".[{extras}]"]) != 0:
        sys.exit(f"error: installing .[{extras}] into {VENV} failed")
    stamp.write_text(digest + "\n")
    return python


def static_checks(python: str) -> list[str]:
    """Run the static checks; return the names of those that failed."""
    steps = {
        "unasync --check": [python, "tools/unasync.py", "--check"],
        "ruff check": [python, "-m", "ruff", "check", "."],
        "ruff format --check": [python, "-m", "ruff", "format", "--check", "."],
        "mypy": [python, "-m", "mypy"],
    }
    failed = []
    for name, cmd in steps.items():
        header(name)
        if run(cmd) != 0:
            failed.append(name)
    return failed


def report(failed: list[str]) -> int:
    """Print what failed, if anything; return the exit status for it."""
    if failed:
        print(f"FAILED: {', '.join(failed)}", file=sys.stderr, flush=True)
        return 1
    return 0


def cmd_demo(args: list[str]) -> int:
    """Replace this process with ``python -m natskit.demo args``."""
    python = ensure_venv("server")
    sys.stdout.flush()
    os.execv(python, [python, "-m", "natskit.demo", *args])


def pytest_runs(python: str, one_path: bool) -> list[tuple[str, dict[str, str]]]:
    """(label, environment) of each pytest run: the compiled path, then pure Python."""
    env = dict(os.environ)
    if one_path:
        return [("", env)]
    probe = [python, "-c", "import natskit._speedups"]
    if subprocess.call(probe, cwd=ROOT, stderr=subprocess.DEVNULL) != 0:
        print("note: natskit._speedups is not built: testing pure Python only", flush=True)
        return [("", env)]
    env.pop("NATSKIT_NO_EXTENSIONS", None)
    return [("(accelerated) ", env), ("(NATSKIT_NO_EXTENSIONS=1) ", {**env, NO_EXT: "1"})]


def cmd_test(args: list[str]) -> int:
    """Static checks, then pytest on each path; pytest's failure status is passed on."""
    one_path = "--one-path" in args
    args = [a for a in args if a != "--one-path"]
    python = ensure_venv("dev")
    failed = static_checks(python)
    status = 0
    for label, env in pytest_runs(python, one_path):
        header(f"pytest {label}" + " ".join(args))
        code = subprocess.call([python, "-m", "pytest", *args], cwd=ROOT, env=env)
        if code == PYTEST_NO_TESTS_COLLECTED:
            print("error: pytest collected no tests", file=sys.stderr, flush=True)
            failed.append(f"pytest {label}(no tests collected)")
        elif code != 0:
            failed.append(f"pytest {label}".strip())
            status = status or code
    result = report(failed)
    return status or result


def cmd_check(args: list[str]) -> int:
    """Static checks only."""
    if args:
        sys.exit("error: check takes no arguments")
    return report(static_checks(ensure_venv("dev")))


def cmd_gen(args: list[str]) -> int:
    """Regenerate the blocking code."""
    python = ensure_venv("dev")
    header("unasync")
    return run([python, "tools/unasync.py", *args])


def cmd_docs(args: list[str]) -> int:
    """Build the docs site (mkdocs.yml) with ``--strict``."""
    if {"-q", "--quiet"} & set(args):
        sys.exit("error: docs: -q would hide the warnings that --strict counts")
    if sys.version_info < (3, 11):  # mkdocstrings-python 2 needs it (the dev extra skips it)
        sys.exit("error: docs: building the docs site needs Python 3.11 or newer")
    python = ensure_venv("dev")
    header("mkdocs build --strict")
    os.environ["NO_MKDOCS_2_WARNING"] = "1"  # mkdocs-material's banner about its successor
    return report(
        [] if run([python, "-m", "mkdocs", "build", "--strict", *args]) == 0 else ["docs"]
    )


def cmd_package(args: list[str]) -> int:
    """Build, check and smoke-test the distributions, as a user installs them."""
    if args:
        sys.exit("error: package takes no arguments")
    python = ensure_venv("dev")
    shutil.rmtree(DIST, ignore_errors=True)
    header("python -m build (sdist, then the wheel from it)")
    if run([python, "-m", "build", "--quiet", "--outdir", str(DIST), "."]) != 0:
        return report(["build"])
    failed = []
    header("twine check --strict")
    if run([python, "-m", "twine", "check", "--strict", *map(str, sorted(DIST.iterdir()))]):
        failed.append("twine check")
    wheel = next(DIST.glob("natskit-*.whl"))
    with tempfile.TemporaryDirectory(prefix="natskit-smoke-") as tmp:
        venv = Path(tmp) / "venv"
        smoke_python = str(venv_python(venv))
        header(f"a fresh virtualenv with {wheel.name}[testing]")
        if run([sys.executable, "-m", "venv", "--without-pip", str(venv)]) != 0:
            return report([*failed, "venv"])
        # Our pip installs into it (pip >= 22.3: --python), using its cache as usual;
        # an older pip gets the venv a pip of its own.
        install = [python, "-m", "pip", "--python", smoke_python, "install", "-q"]
        probe = [*install[:5], "--version"]
        if subprocess.call(probe, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL):
            run([smoke_python, "-m", "ensurepip"])
            install = [smoke_python, "-m", "pip", "install", "-q"]
        if run([*install, f"{wheel}[testing]"]) != 0:
            return report([*failed, "wheel install"])
        header("tools/smoke.py in it")
        if run([smoke_python, str(ROOT / "tools" / "smoke.py")], cwd=Path(tmp)):
            failed.append("smoke test")
    return report(failed)


COMMANDS = {
    "demo": cmd_demo,
    "test": cmd_test,
    "check": cmd_check,
    "gen": cmd_gen,
    "docs": cmd_docs,
    "package": cmd_package,
}


def main(argv: list[str]) -> int:
    """Dispatch ``argv`` (without the program name) to a command."""
    if argv and argv[0] in ("-h", "--help", "help"):
        print(USAGE)
        return 0
    if not argv or argv[0] not in COMMANDS:
        problem = f"unknown command {argv[0]!r}" if argv else "no command given"
        print(f"error: {problem}\n{USAGE}", file=sys.stderr)
        return 2
    os.environ["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    os.environ["PIP_ROOT_USER_ACTION"] = "ignore"
    try:
        return COMMANDS[argv[0]](argv[1:])
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
