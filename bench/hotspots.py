"""Profile one benchmark case of one client with py-spy; print where the time goes.

    .venv/bin/python bench/hotspots.py CASE [--client natskit] [--n N]

CASE is a case of run.py (``--list`` there), e.g. pub_16, pubsub_1p, req_seq,
js_pub_async. It starts its own nats-server and sets the case up as run.py
does (responder, streams, consumer), runs the case once in a worker process
under ``py-spy record`` (``pip install py-spy``; it is not
a dependency of the project), and prints the top functions and lines by self
time, by inclusive time, and the share of each thread. With ``--gil`` (the
default) only the thread holding the GIL is sampled, i.e. the interpreter's
time; ``--no-gil`` samples every thread that is not idle.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import peers  # noqa: E402
from run import CASES, PEERS, SERVER_CONFIG, Bench  # noqa: E402

from natskit.testing import NatsServer  # noqa: E402

FRAME = re.compile(r"^(?P<func>.*) \((?P<file>[^():]*)(?::(?P<line>\d+))?\)$")


def short(path: str) -> str:
    """``natskit/_async/connection.py`` rather than the full path."""
    for marker in ("/src/", "/site-packages/", "/lib/python3"):
        if marker in path:
            return path.split(marker, 1)[1]
    return os.path.basename(path)


def parse(path: str) -> list[tuple[list[tuple[str, str, str]], int]]:
    """py-spy raw output: (stack of (func, file, line) root first, samples)."""
    stacks = []
    with open(path, encoding="utf-8") as f:
        for row in f:
            row = row.rstrip("\n")
            if not row:
                continue
            stack, _, count = row.rpartition(" ")
            frames = []
            for part in stack.split(";"):
                m = FRAME.match(part)
                if m:
                    frames.append((m["func"], short(m["file"]), m["line"] or ""))
                else:
                    frames.append((part, "", ""))
            stacks.append((frames, int(count)))
    return stacks


def report(stacks: list[tuple[list[tuple[str, str, str]], int]], top: int) -> str:
    total = sum(c for _, c in stacks) or 1
    self_fn: collections.Counter[str] = collections.Counter()
    self_line: collections.Counter[str] = collections.Counter()
    incl: collections.Counter[str] = collections.Counter()
    threads: collections.Counter[str] = collections.Counter()
    for frames, count in stacks:
        labels = []
        while frames and frames[0][0].startswith(("thread (", "process ")):
            label = frames[0][0]
            if label.startswith("process "):  # process PID:"command line"
                pid, _, cmd = label[8:].partition(":")
                words = cmd.strip('"').split()
                label = f"process {pid} ({' '.join(w for w in words[2:5] if w[:1] != '{')})"
            labels.append(label)
            frames = frames[1:]
        if labels:
            threads[" / ".join(labels)] += count
        if not frames:
            continue
        func, file, line = frames[-1]
        self_fn[f"{func} ({file})"] += count
        self_line[f"{file}:{line} {func}"] += count
        for key in {f"{fn} ({fl})" for fn, fl, _ in frames}:
            incl[key] += count
    out = [f"samples: {total}"]
    if threads:
        out.append("threads:")
        out += [f"  {100 * c / total:5.1f}%  {t}" for t, c in threads.most_common()]
    for title, counter in (
        ("self time by function", self_fn),
        ("self time by line", self_line),
        ("inclusive time by function", incl),
    ):
        out.append(f"{title}:")
        out += [f"  {100 * c / total:5.1f}%  {k}" for k, c in counter.most_common(top)]
    return "\n".join(out)


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("case", choices=[c.name for c in CASES])
    parser.add_argument(
        "--client",
        default="natskit",
        choices=["natskit", "natskit.aio", "nats", *PEERS, "raw"],
        help="nats-core and natsio run from the peers' virtualenv (bench/peers.py)",
    )
    parser.add_argument("--peer-python", help="as for run.py")
    parser.add_argument("--n", type=int, default=0, help="messages (default: 2x a full run's)")
    parser.add_argument("--rate", type=int, default=1000, help="samples per second")
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument(
        "--gil",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="sample only the thread holding the GIL (default)",
    )
    parser.add_argument(
        "--subprocesses",
        action="store_true",
        help="also sample the worker's children (pubsub_2p's subscriber)",
    )
    parser.add_argument("--raw-out", help="also keep py-spy's collapsed stacks here")
    args = parser.parse_args()
    pyspy = shutil.which("py-spy") or os.path.join(os.path.dirname(sys.executable), "py-spy")
    if not os.path.exists(pyspy):
        raise SystemExit("py-spy not found: pip install py-spy")
    case = next(c for c in CASES if c.name == args.case)
    n = args.n or 2 * case.n[0]
    worker = [sys.executable, os.path.join(HERE, "worker.py")]
    if args.client in PEERS:
        venv, why = peers.ensure_peer_venv(args.peer_python)
        if venv is None:
            raise SystemExit(why)
        worker = venv
    with NatsServer(jetstream=True, config=SERVER_CONFIG) as server:
        params = {"url": server.url, "n": n, "max_seconds": 120, **case.params}
        bench = Bench(server.url, argparse.Namespace(verbose=True))
        try:
            bench.setup(case, n)
            bench.before_run(case)
            with tempfile.TemporaryDirectory() as tmp:
                out = args.raw_out or os.path.join(tmp, "stacks.txt")
                cmd = [
                    pyspy,
                    "record",
                    "--format",
                    "raw",
                    "-o",
                    out,
                    "-r",
                    str(args.rate),
                    "--threads",
                    *(["--gil"] if args.gil else []),
                    *(["--subprocesses"] if args.subprocesses else []),
                    "--",
                    *worker,
                    "run",
                    args.client,
                    case.kind,
                    json.dumps(params),
                ]
                proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
                result = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT")]
                print(f"{args.client} {args.case}: {result[-1] if result else proc.stderr[-500:]}")
                print(report(parse(out), args.top))
        finally:
            bench.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
