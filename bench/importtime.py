"""Import time of each client, from ``python -X importtime`` (the ``import`` case of run.py).

    .venv/bin/python bench/importtime.py [--runs N] [--python PYTHON] [--clients A,B]

Each run is a fresh interpreter. Its figure is the sum of the ``cumulative``
column over the top-level imports that the statement made, that is, every
top-level line that ``python -X importtime -c pass`` (the interpreter's own
start-up) does not print. For natskit the statement also touches
``natskit.connect``, since the blocking API is imported on first use. One
warm-up run first writes the bytecode caches (``PYTHONDONTWRITEBYTECODE`` is
dropped), as pip does when it installs a wheel: otherwise an editable install
would be measured compiling its sources.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
from typing import Any

STATEMENTS = {
    "natskit": "import natskit; natskit.connect",
    "natskit.aio": "import natskit.aio",
    "nats": "import nats",
    "nats-core": "import nats.client",  # the peers' virtualenv (bench/peers.py)
    "natsio": "import natsio",
}
DEFAULT = ["natskit", "natskit.aio", "nats"]


def top_level(python: str, code: str) -> list[tuple[str, int]]:
    """(module, cumulative us) of each top-level import ``code`` made, start-up included."""
    proc = subprocess.run(
        [python, "-X", "importtime", "-c", code],
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
        check=False,
        env={k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"},
    )
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr.strip().splitlines()[-1])
    found = []
    for line in proc.stderr.splitlines():
        _, _, rest = line.partition("import time:")
        parts = rest.split("|")
        if len(parts) == 3 and parts[1].strip().isdigit() and parts[2][1:2] != " ":
            found.append((parts[2].strip(), int(parts[1])))
    return found


def measure(clients: list[str], runs: int, python: str = sys.executable) -> dict[str, Any]:
    """Per client: median, min and max import time in ms over ``runs`` fresh interpreters.

    The clients take turns, run by run, so that a machine that drifts moves all alike.
    """
    startup = {name for name, _ in top_level(python, "pass")}
    times: dict[str, list[float]] = {client: [] for client in clients}
    for client in clients:
        top_level(python, STATEMENTS[client])  # warm-up: bytecode caches
    for _ in range(runs):
        for client in clients:
            found = top_level(python, STATEMENTS[client])
            times[client].append(sum(us for name, us in found if name not in startup) / 1000)
    return {
        client: {
            "import_ms": statistics.median(t),
            "min_ms": min(t),
            "max_ms": max(t),
            "runs": runs,
        }
        for client, t in times.items()
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=20, help="interpreters per client")
    parser.add_argument("--python", default=sys.executable, help="the interpreter to measure")
    parser.add_argument(
        "--clients", default=",".join(DEFAULT), help=f"comma-separated of: {', '.join(STATEMENTS)}"
    )
    args = parser.parse_args()
    clients = [c for c in args.clients.split(",") if c]
    for c in clients:
        if c not in STATEMENTS:
            raise SystemExit(f"unknown client {c!r}")
    for client, r in measure(clients, args.runs, args.python).items():
        code = STATEMENTS[client]
        print(
            f"{client:12} {r['import_ms']:6.1f} ms  (min {r['min_ms']:.1f}, max {r['max_ms']:.1f},"
            f" {args.runs} runs)  {code}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
