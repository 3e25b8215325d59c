"""natskit benchmark suite: natskit (blocking), natskit.aio and its peers side by side.

    .venv/bin/python bench/run.py [--quick] [--rounds N] [--cases NAME,...] [--clients ...]
                                  [--peer-python PATH] [--loop uvloop]

Starts its own nats-server (JetStream in a temporary directory) on a free
127.0.0.1 port, runs every case for each client in a fresh process, several
rounds with the client order rotated, and prints the median of each case, the
ratios natskit / nats-py, natskit.aio / nats-py, / nats-core and / nats.go,
and a raw-socket ceiling where it makes sense. The peers nats-core and natsio
run from a virtualenv of a Python >= 3.13, nats.go from a Go worker
(bench/peers.py); where they cannot, their columns say n/a. All numbers go to
a JSON file, and a bar chart to a PNG. Every run is bounded in messages and in
seconds. ``--list`` shows the cases.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from typing import Any

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
try:
    from natskit.testing import NatsServer, find_server_binary
except ImportError:  # a python without the editable install
    sys.path.insert(1, os.path.join(ROOT, "src"))
    from natskit.testing import NatsServer, find_server_binary

import peers  # noqa: E402
import rawnats  # noqa: E402
from cases import CASES, GROUPS, Case, select_cases  # noqa: E402
from common import (  # noqa: E402
    JS_BATCH_STREAM,
    JS_BATCH_SUBJECT,
    JS_CONSUMER,
    JS_PUB_STREAM,
    JS_PUB_SUBJECT,
    JS_PULL_STREAM,
    JS_PULL_SUBJECT,
    KV_BUCKET,
    KV_KEYS,
    payload,
)
from report import CLIENTS, LABELS, chart, fmt, median_of, ratio, ratios, status_of, table  # noqa: E402

PEERS = ("nats-core", "natsio")  # run from the peers' virtualenv
# The server keeps up to this much for a slow subscriber, and waits this long on a
# blocked write, so that the receiving cases measure the client, not a disconnect.
SERVER_CONFIG = 'max_pending: 1073741824\nwrite_deadline: "120s"\n'


# -- the server and per-case setup ------------------------------------------------


class Bench:
    """Runs cases against one server and collects the results."""

    def __init__(
        self,
        url: str,
        args: argparse.Namespace,
        commands: dict[str, list[str] | str] | None = None,
    ) -> None:
        self.url = url
        self.args = args
        self.commands = commands or {}  # client -> worker command prefix, or why it is n/a
        self.responder: subprocess.Popen[bytes] | None = None
        self.ready: set[str] = set()

    def close(self) -> None:
        if self.responder is not None:
            self.responder.kill()
            self.responder.wait()

    def setup(self, case: Case, n: int) -> None:
        """Once per case: the responder, streams, messages, the KV bucket."""
        key = f"{case.setup}:{n}" if case.setup == "js_pull" else str(case.setup)
        if case.setup is None or key in self.ready:
            return
        if case.setup == "responder":
            self.responder = subprocess.Popen(
                [sys.executable, os.path.join(HERE, "worker.py"), "responder", self.url],
                stdin=subprocess.DEVNULL,
            )
            conn = rawnats.RawConn(self.url)  # wait until it answers
            try:
                conn.request("bench.req", b"x", timeout=10)
            finally:
                conn.close()
        elif case.setup == "js_pub":
            self._stream(JS_PUB_STREAM, JS_PUB_SUBJECT)
        elif case.setup == "js_batch":
            self._stream(JS_BATCH_STREAM, JS_BATCH_SUBJECT, allow_atomic=True)
        elif case.setup == "js_pull":
            self._stream(JS_PULL_STREAM, JS_PULL_SUBJECT)
            rawnats.js_api(self.url, f"$JS.API.STREAM.PURGE.{JS_PULL_STREAM}")
            rawnats.blast(self.url, JS_PULL_SUBJECT, case.params["size"], n)
            deadline = time.monotonic() + 30
            while self._stream_msgs(JS_PULL_STREAM) < n and time.monotonic() < deadline:
                time.sleep(0.05)
        elif case.setup == "kv":
            self._stream(f"KV_{KV_BUCKET}", f"$KV.{KV_BUCKET}.>", kv=True)
            conn = rawnats.RawConn(self.url)
            try:
                for i in range(KV_KEYS):
                    conn.request(f"$KV.{KV_BUCKET}.k{i}", payload(16))
            finally:
                conn.close()
        self.ready.add(key)

    def before_run(self, case: Case) -> None:
        """Before every run: an empty publish stream, a fresh durable consumer."""
        if case.setup == "js_pub":
            rawnats.js_api(self.url, f"$JS.API.STREAM.PURGE.{JS_PUB_STREAM}")
        elif case.setup == "js_batch":
            rawnats.js_api(self.url, f"$JS.API.STREAM.PURGE.{JS_BATCH_STREAM}")
        elif case.setup == "js_pull":
            try:
                rawnats.js_api(self.url, f"$JS.API.CONSUMER.DELETE.{JS_PULL_STREAM}.{JS_CONSUMER}")
            except RuntimeError:
                pass  # not there yet
            config = {
                "durable_name": JS_CONSUMER,
                "ack_policy": "explicit",
                "deliver_policy": "all",
                "max_ack_pending": 100_000,
                "max_waiting": 512,
            }
            rawnats.js_api(
                self.url,
                f"$JS.API.CONSUMER.CREATE.{JS_PULL_STREAM}.{JS_CONSUMER}",
                {"stream_name": JS_PULL_STREAM, "config": config},
            )

    def _stream(self, name: str, subject: str, kv: bool = False, **extra: Any) -> None:
        config: dict[str, Any] = {
            "name": name,
            "subjects": [subject],
            "storage": "file",
            "num_replicas": 1,
            **extra,
        }
        if kv:
            config.update(
                max_msgs_per_subject=1,
                discard="new",
                allow_rollup_hdrs=True,
                deny_delete=True,
                allow_direct=True,
                duplicate_window=120 * 10**9,
                max_msg_size=-1,
            )
        rawnats.js_api(self.url, f"$JS.API.STREAM.CREATE.{name}", config)

    def _stream_msgs(self, name: str) -> int:
        info = rawnats.js_api(self.url, f"$JS.API.STREAM.INFO.{name}")
        return int(info.get("state", {}).get("messages", 0))

    def run(self, client: str, case: Case, params: dict[str, Any]) -> dict[str, Any]:
        """One measurement in a fresh process, killed if it overruns."""
        prefix = self.commands[client]
        if isinstance(prefix, str):
            return {"na": prefix}
        cmd = [*prefix, "run", client, case.kind, json.dumps(params)]
        limit = float(params["max_seconds"]) + 60.0
        try:
            proc = subprocess.run(
                cmd, capture_output=True, text=True, timeout=limit, stdin=subprocess.DEVNULL
            )
        except subprocess.TimeoutExpired:
            return {"error": f"killed after {limit:.0f} s"}
        for line in reversed(proc.stdout.splitlines()):
            if line.startswith("RESULT "):
                result: dict[str, Any] = json.loads(line[7:])
                if "error" in result and self.args.verbose:
                    sys.stderr.write(proc.stderr)
                return result
        tail = proc.stderr.strip().splitlines()[-3:]
        return {"error": f"no result (exit {proc.returncode}): {' | '.join(tail)}"}


def machine() -> dict[str, Any]:
    """What the numbers were measured on."""
    cpu = ""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            cpu = next(
                (line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), ""
            )
    except OSError:
        cpu = platform.processor()
    try:
        server = subprocess.run(
            [find_server_binary(), "--version"], capture_output=True, text=True, timeout=10
        ).stdout.strip()
    except (OSError, RuntimeError, subprocess.SubprocessError):
        server = "?"
    versions = subprocess.run(
        [
            sys.executable,
            "-c",
            "import natskit, nats.aio.client as c; print(natskit.__version__, c.__version__)",
        ],
        capture_output=True,
        text=True,
    )
    natskit_v, _, natspy_v = versions.stdout.strip().partition(" ")
    return {
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "nats_server": server,
        "natskit": natskit_v or "?",
        "nats_py": natspy_v or "?",
        "loadavg_start": list(os.getloadavg()),
    }


def worker_commands(
    clients: list[str], peer_python: str | None, info: dict[str, Any]
) -> dict[str, list[str] | str]:
    """Per client the worker command prefix, or the reason it is n/a (noted in ``info``)."""
    worker = [sys.executable, os.path.join(HERE, "worker.py")]
    commands: dict[str, list[str] | str] = {c: worker for c in clients}
    if any(c in PEERS for c in clients):
        venv, about = peers.ensure_peer_venv(peer_python)
        info["peers"] = about
        for c in PEERS:
            commands[c] = venv or about
    if "nats.go" in clients:
        go, about = peers.ensure_go_worker()
        info["nats_go"] = about
        commands["nats.go"] = go or about
    return commands


# -- main ---------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer messages (a few minutes)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds per case (default 3)")
    parser.add_argument("--cases", help="comma-separated cases or groups (default: all)")
    parser.add_argument(
        "--clients",
        default=",".join(CLIENTS),
        help=f"comma-separated: {', '.join(CLIENTS)} (nats is nats-py)",
    )
    parser.add_argument(
        "--peer-python",
        help="a Python >= 3.13 for nats-core and natsio (default: python3.13+ on PATH or "
        "in pyenv; '' for none)",
    )
    parser.add_argument(
        "--loop",
        choices=["asyncio", "uvloop"],
        default="asyncio",
        help="the event loop of the asyncio clients (default asyncio)",
    )
    parser.add_argument(
        "--scale", type=float, default=1.0, help="multiply every message count by this"
    )
    parser.add_argument("--rss-msgs", type=int, help="messages of the RSS case")
    parser.add_argument(
        "--max-seconds", type=float, help="time limit of one run (default 30, --quick 10)"
    )
    parser.add_argument(
        "--json",
        default=os.path.join(HERE, "results", "latest.json"),
        help="where to write all numbers",
    )
    parser.add_argument(
        "--png",
        default=os.path.join(HERE, "results", "latest.png"),
        help="where to write the chart ('' for none)",
    )
    parser.add_argument("--list", action="store_true", help="list the cases and groups")
    parser.add_argument("-v", "--verbose", action="store_true", help="show worker errors")
    args = parser.parse_args()
    if args.list:
        for c in CASES:
            print(f"{c.name:12} {c.doc} (n={c.n[0]:,}, --quick {c.n[1]:,})")
        for g, names in GROUPS.items():
            print(f"{g:12} group: {', '.join(names)}")
        return 0
    cases = select_cases(args.cases)
    clients = [c.strip() for c in args.clients.split(",") if c.strip()]
    for c in clients:
        if c not in CLIENTS:
            raise SystemExit(f"unknown client {c!r}")
    max_seconds = args.max_seconds or (10.0 if args.quick else 30.0)
    info = machine()
    info["loop"] = args.loop
    commands = worker_commands(clients, args.peer_python, info)
    started = time.time()
    results: dict[str, Any] = {}
    print(
        f"# {info['cpu']} x{info['nproc']}, Python {info['python']}, {info['nats_server']}, "
        f"load {info['loadavg_start'][0]:.2f}, loop {args.loop}",
        file=sys.stderr,
    )
    for key in ("peers", "nats_go"):
        if key in info:
            print(f"# {key}: {info[key]}", file=sys.stderr)
    with NatsServer(jetstream=True, config=SERVER_CONFIG) as server:
        bench = Bench(server.url, args, commands)
        try:
            for case in cases:
                n = case.n[1] if args.quick else case.n[0]
                if case.name == "rss_1m" and args.rss_msgs:
                    n = args.rss_msgs
                n = max(case.min_n, int(n * args.scale))
                if case.params.get("batch"):
                    n -= n % case.params["batch"]
                params = {"url": server.url, "n": n, "max_seconds": max_seconds, **case.params}
                if args.loop != "asyncio":
                    params["loop"] = args.loop
                runs: dict[str, list[dict[str, Any]]] = {}
                bench.setup(case, n)
                who = [c for c in clients if c != "raw" or case.raw]
                t_case = time.monotonic()
                for rnd in range(args.rounds):
                    order = who[rnd % len(who) :] + who[: rnd % len(who)]
                    for client in order:
                        done = runs.setdefault(client, [])
                        if done and "na" in done[0]:
                            continue  # a missing feature stays missing
                        bench.before_run(case)
                        done.append(bench.run(client, case, params))
                medians = {c: median_of(r) for c, r in runs.items()}
                statuses = {c: status_of(r) for c, r in runs.items()}
                res: dict[str, Any] = {
                    "doc": case.doc,
                    "metric": case.metric,
                    "n": n,
                    "params": case.params,
                    "target": case.target,
                    "runs": runs,
                    "median": medians,
                    "status": statuses,
                }
                res["ratio"] = {c: ratio(res, c, case.metric) for c in ("natskit", "natskit.aio")}
                res["ratios"] = ratios(res, case.metric)
                results[case.name] = res
                summary = ", ".join(
                    f"{LABELS[c]} {fmt(m.get(case.metric), case.metric)}"
                    if m
                    else f"{LABELS[c]} {statuses[c]}"
                    for c, m in medians.items()
                )
                print(
                    f"{case.name:12} {time.monotonic() - t_case:5.1f}s  {summary}",
                    file=sys.stderr,
                    flush=True,
                )
        finally:
            bench.close()
    info["loadavg_end"] = list(os.getloadavg())
    info["duration_s"] = round(time.time() - started, 1)
    text = table(cases, results, clients)
    print(text)
    print(
        f"# {info['duration_s']} s; load average {info['loadavg_start'][0]:.2f} at start, "
        f"{info['loadavg_end'][0]:.2f} at end (nproc {info['nproc']}); loop {args.loop}; "
        f"Python {info['python']}"
        + (f"; peers on {info['peers']}" if "peers" in info else "")
        + (f"; {info['nats_go']}" if "nats_go" in info else "")
    )
    out = {
        "machine": info,
        "quick": args.quick,
        "rounds": args.rounds,
        "max_seconds": max_seconds,
        "cases": results,
        "table": text,
    }
    if args.json:
        os.makedirs(os.path.dirname(os.path.abspath(args.json)), exist_ok=True)
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(out, f, indent=1)
        print(f"# numbers: {args.json}")
    if args.png:
        os.makedirs(os.path.dirname(os.path.abspath(args.png)), exist_ok=True)
        chart(args.png, cases, results)
        print(f"# chart: {args.png}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
