"""Smoke test of an installed natskit, as a user gets it (``python3 tools/dev.py package``).

Run with the python of a virtualenv where the wheel was installed with the
``testing`` extra, from a directory outside the checkout. Checks that
natskit comes from that virtualenv, with its version, license, classifiers,
``py.typed`` and pytest plugin; that the compiled accelerator is in use when
the wheel has it (and not with ``NATSKIT_NO_EXTENSIONS=1``); that both APIs
publish and receive through a nats-server started by
``natskit.testing.NatsServer``; and that ``natskit --version`` runs and says
whether the accelerator is used. Prints one line per check; exits 1 at the
first failure.
"""

from __future__ import annotations

import asyncio
import importlib.metadata
import os
import subprocess
import sys
from collections.abc import Callable
from importlib.machinery import EXTENSION_SUFFIXES
from pathlib import Path

import natskit
import natskit.aio
from natskit.testing import NatsServer

CHECKS: list[tuple[str, Callable[[], str]]] = []


def check(name: str) -> Callable[[Callable[[], str]], Callable[[], str]]:
    """Register a check: a function that returns a detail or raises."""

    def register(fn: Callable[[], str]) -> Callable[[], str]:
        CHECKS.append((name, fn))
        return fn

    return register


@check("installed")
def installed() -> str:
    where = Path(natskit.__file__).resolve()
    prefix = Path(sys.prefix).resolve()
    assert prefix in where.parents, f"natskit imported from {where}, not from {prefix}"
    version = importlib.metadata.version("natskit")
    assert natskit.__version__ == version, (natskit.__version__, version)
    assert (where.parent / "py.typed").is_file(), "py.typed is missing"
    meta = importlib.metadata.metadata("natskit")
    assert meta["License-Expression"] == "Apache-2.0", meta["License-Expression"]
    assert "Typing :: Typed" in (meta.get_all("Classifier") or []), "no classifiers"
    return f"natskit {version} in {where.parent}"


@check("pytest plugin")
def plugin() -> str:
    found = [e for e in importlib.metadata.entry_points(group="pytest11") if e.name == "natskit"]
    assert found, "no pytest11 entry point named natskit"
    found[0].load()
    return found[0].value


@check("accelerator")
def accelerator() -> str:
    where = Path(natskit.__file__).parent
    built = any((where / f"_speedups{suffix}").exists() for suffix in EXTENSION_SUFFIXES)
    assert natskit.accelerated == built, (natskit.accelerated, built)
    code = "import natskit; print(natskit.accelerated)"
    env = {**os.environ, "NATSKIT_NO_EXTENSIONS": "1"}
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    ).stdout.strip()
    assert out == "False", out
    return "compiled" if built else "not built: pure Python"


def blocking(url: str) -> str:
    with natskit.connect(url, name="smoke") as nc:
        sub = nc.subscribe("smoke.blocking")
        nc.publish("smoke.blocking", b"hello")
        msg = sub.next_msg(timeout=5)
    assert msg.data == b"hello", msg.data
    return f"{msg.subject} {msg.data!r}"


async def asyncio_api(url: str) -> str:
    async with await natskit.aio.connect(url, name="smoke") as nc:
        sub = await nc.subscribe("smoke.aio")
        await nc.publish("smoke.aio", b"hello")
        msg = await sub.next_msg(timeout=5)
    assert isinstance(msg, natskit.Msg) and msg.data == b"hello", msg
    return f"{msg.subject} {msg.data!r}"


@check("publish and receive, both APIs")
def pubsub() -> str:
    with NatsServer() as server:
        return f"{blocking(server.url)}; {asyncio.run(asyncio_api(server.url))}"


@check("natskit --version")
def cli_version() -> str:
    script = Path(sys.executable).parent / ("natskit.exe" if os.name == "nt" else "natskit")
    out = subprocess.run(
        [str(script), "--version"], capture_output=True, text=True, timeout=60, check=True
    ).stdout.strip()
    assert natskit.__version__ in out, out
    assert f"accelerated: {'yes' if natskit.accelerated else 'no'}" in out, out
    return out.replace("\n", "; ")


def main() -> int:
    for name, fn in CHECKS:
        try:
            detail = fn()
        except Exception as exc:
            print(f"smoke: {name}: FAILED: {type(exc).__name__}: {exc}", flush=True)
            return 1
        print(f"smoke: {name}: ok ({detail})", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
