"""natskit benchmark suite: natskit (blocking), natskit.aio and nats-py side by side.

    .venv/bin/python bench/run.py [--quick] [--rounds N] [--cases NAME,...] [--clients ...]

Starts its own nats-server (JetStream in a temporary directory) on a free
127.0.0.1 port, runs every case for each client in a fresh process, several
rounds with the client order rotated, and prints the median of each case, the
ratio natskit / nats-py for each natskit API, and a raw-socket ceiling where it
makes sense. All numbers go to a JSON file, and a bar chart to a PNG.
Every run is bounded in messages and in seconds. ``--list`` shows the cases.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from typing import Any

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
try:
    from natskit.testing import NatsServer, find_server_binary
except ImportError:  # a python without the editable install
    sys.path.insert(1, os.path.join(ROOT, "src"))
    from natskit.testing import NatsServer, find_server_binary

import pngchart  # noqa: E402
import rawnats  # noqa: E402
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
    SCALE_SUBJECT,
    payload,
)

CLIENTS = ["natskit", "natskit.aio", "nats", "raw"]
LABELS = {"natskit": "natskit", "natskit.aio": "natskit.aio", "nats": "nats-py", "raw": "raw"}
# The server keeps up to this much for a slow subscriber, and waits this long on a
# blocked write, so that the receiving cases measure the client, not a disconnect.
SERVER_CONFIG = 'max_pending: 1073741824\nwrite_deadline: "120s"\n'


@dataclass
class Case:
    """One row of the table (``kind`` is the worker case it runs)."""

    name: str
    kind: str
    metric: str  # "rate", "p50_us", "ns_per_msg", "rss_peak_mb" or "import_ms"
    n: tuple[int, int]  # messages or operations: (full, --quick)
    params: dict[str, Any] = field(default_factory=dict)
    target: tuple[str, float] | None = None  # (">=" or "<=", ratio natskit / nats-py)
    setup: str | None = None  # "responder", "js_pub", "js_batch", "js_pull" or "kv"
    raw: bool = True
    doc: str = ""
    unit: str = "msgs/s"  # of the "rate" metric
    min_n: int = 100  # the least n that --scale leaves

    @property
    def lower_is_better(self) -> bool:
        return self.metric != "rate"


CASES = [
    Case(
        "pub_16",
        "pub",
        "rate",
        (2_000_000, 200_000),
        {"size": 16},
        (">=", 4.0),
        doc="publish 16 B payloads, then flush",
    ),
    Case(
        "pub_128",
        "pub",
        "rate",
        (2_000_000, 200_000),
        {"size": 128},
        (">=", 4.0),
        doc="publish 128 B payloads, then flush",
    ),
    Case(
        "pub_1k",
        "pub",
        "rate",
        (1_000_000, 100_000),
        {"size": 1024},
        (">=", 2.0),
        doc="publish 1 KiB payloads, then flush",
    ),
    Case(
        "pub_64k",
        "pub",
        "rate",
        (20_000, 2_000),
        {"size": 64 * 1024},
        doc="publish 64 KiB payloads, then flush",
    ),
    Case(
        "pub_1m",
        "pub",
        "rate",
        (2_000, 200),
        {"size": 1024 * 1024},
        doc="publish 1 MiB payloads (the server's max_payload), then flush",
    ),
    Case(
        "pubsub_1p",
        "pubsub_1p",
        "rate",
        (500_000, 100_000),
        {"size": 16},
        (">=", 5.0),
        doc="publisher and callback subscriber on one connection, 16 B",
    ),
    Case(
        "pubsub_2p",
        "pubsub_2p",
        "rate",
        (500_000, 100_000),
        {"size": 16},
        (">=", 5.0),
        doc="callback subscriber in its own process (same client), 16 B",
    ),
    Case(
        "req_seq",
        "req_seq",
        "p50_us",
        (10_000, 2_000),
        {"size": 16, "warmup": 200},
        ("<=", 0.5),
        "responder",
        doc="sequential request/reply, 16 B (latency)",
    ),
    Case(
        "req_conc",
        "req_conc",
        "rate",
        (100_000, 20_000),
        {"size": 16, "window": 1000},
        setup="responder",
        doc="1,000 concurrent requests in flight, 16 B",
        unit="req/s",
    ),
    Case(
        "js_pub_sync",
        "js_pub_sync",
        "rate",
        (10_000, 1_000),
        {"size": 16},
        (">=", 1.5),
        "js_pub",
        doc="JetStream publish, one at a time with ack",
    ),
    Case(
        "js_pub_async",
        "js_pub_async",
        "rate",
        (100_000, 10_000),
        {"size": 16, "window": 256},
        (">=", 4.0),
        "js_pub",
        doc="JetStream publish, at most 256 acks in flight",
    ),
    Case(
        "js_batch",
        "js_batch",
        "rate",
        (100_000, 10_000),
        {"size": 16, "batch": 100},
        None,
        "js_batch",
        raw=False,
        doc="JetStream atomic batches of 100 (ADR-50), one ack per batch",
    ),
    Case(
        "js_fetch",
        "js_fetch",
        "rate",
        (100_000, 5_000),
        {"size": 16, "batch": 100},
        (">=", 4.0),
        "js_pull",
        doc="fetch batches of 100 + ack each, durable pull consumer",
    ),
    Case(
        "js_consume",
        "js_consume",
        "rate",
        (100_000, 5_000),
        {"size": 16},
        None,
        "js_pull",
        raw=False,
        doc="consume() with a callback that acks",
    ),
    Case(
        "kv_put",
        "kv_put",
        "rate",
        (5_000, 1_000),
        {"size": 16},
        (">=", 2.0),
        "kv",
        doc="KV put, 100 keys in turn",
        unit="ops/s",
    ),
    Case(
        "kv_get",
        "kv_get",
        "rate",
        (10_000, 2_000),
        {"size": 16},
        (">=", 2.0),
        "kv",
        doc="KV get, 100 keys in turn",
        unit="ops/s",
    ),
    Case(
        "kv_get_many",
        "kv_get_many",
        "rate",
        (2_000, 400),
        {"size": 16},
        None,
        "kv",
        raw=False,
        doc="KV get_many of the 100 keys: one batched direct get per call",
        unit="calls/s",
    ),
    Case(
        "scale_1",
        "pubsub_1p",
        "ns_per_msg",
        (300_000, 30_000),
        {"size": 16, "subject": SCALE_SUBJECT, "extra_subs": 0},
        raw=False,
        doc="pub+sub cost per message, 1 subscription on the connection",
    ),
    Case(
        "scale_100",
        "pubsub_1p",
        "ns_per_msg",
        (300_000, 30_000),
        {"size": 16, "subject": SCALE_SUBJECT, "extra_subs": 99},
        raw=False,
        doc="the same with 99 idle subscriptions on other subjects",
    ),
    Case(
        "scale_10k",
        "pubsub_1p",
        "ns_per_msg",
        (300_000, 30_000),
        {"size": 16, "subject": SCALE_SUBJECT, "extra_subs": 9_999},
        raw=False,
        doc="the same with 9,999 idle subscriptions on other subjects",
    ),
    Case(
        "rss_1m",
        "rss",
        "rss_peak_mb",
        (1_000_000, 200_000),
        {"size": 16},
        ("<=", 1.0),
        raw=False,
        doc="peak RSS of a process receiving N messages (raw publisher)",
    ),
    Case(
        "import",
        "import",
        "import_ms",
        (10, 5),
        {},
        ("<=", 1.0),
        raw=False,
        doc="import time (python -X importtime), N fresh interpreters (bench/importtime.py)",
        min_n=1,
    ),
]
GROUPS = {
    "core": [
        "pub_16",
        "pub_128",
        "pub_1k",
        "pub_64k",
        "pub_1m",
        "pubsub_1p",
        "pubsub_2p",
        "req_seq",
        "req_conc",
    ],
    "pub": ["pub_16", "pub_128", "pub_1k", "pub_64k", "pub_1m"],
    "pubsub": ["pubsub_1p", "pubsub_2p"],
    "req": ["req_seq", "req_conc"],
    "js": ["js_pub_sync", "js_pub_async", "js_batch", "js_fetch", "js_consume"],
    "kv": ["kv_put", "kv_get", "kv_get_many"],
    "scale": ["scale_1", "scale_100", "scale_10k"],
    "rss": ["rss_1m"],
    "import": ["import"],
}
UNITS = {
    "rate": "msgs/s",
    "p50_us": "p50 us",
    "p90_us": "p90 us",
    "p99_us": "p99 us",
    "ns_per_msg": "ns/msg",
    "rss_peak_mb": "MiB",
    "import_ms": "ms",
}


# -- the server and per-case setup ------------------------------------------------


class Bench:
    """Runs cases against one server and collects the results."""

    def __init__(self, url: str, args: argparse.Namespace) -> None:
        self.url = url
        self.args = args
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
        cmd = [
            sys.executable,
            os.path.join(HERE, "worker.py"),
            "run",
            client,
            case.kind,
            json.dumps(params),
        ]
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


# -- reporting ----------------------------------------------------------------------


def median_of(runs: list[dict[str, Any]]) -> dict[str, Any] | None:
    """Median of every numeric field over the successful runs; None if none was."""
    ok = [r for r in runs if "na" not in r and "error" not in r]
    if not ok:
        return None
    keys = [k for k, v in ok[0].items() if isinstance(v, (int, float)) and not isinstance(v, bool)]
    out: dict[str, Any] = {k: statistics.median(r[k] for r in ok if k in r) for k in keys}
    out["rounds"] = len(ok)
    return out


def status_of(runs: list[dict[str, Any]]) -> str | None:
    """ "n/a: ..." or "error: ..." when no run succeeded."""
    if not runs or median_of(runs) is not None:
        return None
    first = runs[0]
    return f"n/a: {first['na']}" if "na" in first else f"error: {first.get('error')}"


def fmt(value: float | None, metric: str) -> str:
    if value is None:
        return "-"
    if metric == "rate":
        if value >= 1e6:
            return f"{value / 1e6:.2f}M"
        if value >= 1e3:
            return f"{value / 1e3:.1f}k"
        return f"{value:.0f}"
    return f"{value:.1f}" if value < 1000 else f"{value:,.0f}"


def ratio(case_result: dict[str, Any], client: str, metric: str) -> float | None:
    mine = (case_result["median"].get(client) or {}).get(metric)
    ref = (case_result["median"].get("nats") or {}).get(metric)
    if not mine or not ref:
        return None
    return float(mine) / float(ref)


def table(cases: list[Case], results: dict[str, Any], clients: list[str]) -> str:
    """The plain-text table of medians and ratios."""
    shown = [c for c in CLIENTS if c in clients]
    head = ["case", "unit"] + [LABELS[c] for c in shown] + ["natskit/nats", "aio/nats", "target"]
    rows: list[list[str]] = []
    notes: dict[str, list[str]] = {}
    for case in cases:
        res = results[case.name]
        metrics = [(case.metric, case.name)]
        if case.metric == "p50_us":
            metrics += [
                ("p90_us", f"{case.name} p90"),
                ("p99_us", f"{case.name} p99"),
                ("rate", f"{case.name} req/s"),
            ]
        for metric, label in metrics:
            unit = case.unit if metric == "rate" else UNITS.get(metric, metric)
            if case.metric == "p50_us" and metric == "rate":
                unit = "req/s"
            row = [label, unit]
            for client in shown:
                med = res["median"].get(client)
                st = res["status"].get(client)
                if med is None:
                    row.append("n/a" if st and st.startswith("n/a") else ("err" if st else "-"))
                    if st and client != "raw":
                        notes.setdefault(f"{case.name}: {st}", []).append(LABELS[client])
                else:
                    row.append(fmt(med.get(metric), metric))
            for client in ("natskit", "natskit.aio"):
                rel = ratio(res, client, metric)
                row.append("-" if rel is None else f"{rel:.2f}x")
            tgt = case.target if metric == case.metric else None
            row.append(f"{tgt[0]} {tgt[1]:g}x" if tgt else "")
            rows.append(row)
    flat = [c for c in cases if c.name in ("scale_1", "scale_10k")]
    if len(flat) == 2:
        row = ["scale 10k/1", "ratio"]
        for client in shown:
            lo = (results["scale_1"]["median"].get(client) or {}).get("ns_per_msg")
            hi = (results["scale_10k"]["median"].get(client) or {}).get("ns_per_msg")
            row.append(f"{hi / lo:.2f}" if lo and hi else "-")
        rows.append([*row, "", "", "flat"])
    widths = [
        max(len(line[i]) for line in [head, *rows] if i < len(line)) for i in range(len(head))
    ]
    lines = [
        "  ".join(
            h.ljust(w) if i < 2 else h.rjust(w)
            for i, (h, w) in enumerate(zip(head, widths, strict=False))
        )
    ]
    lines.append("  ".join("-" * w for w in widths))
    for row in rows:
        lines.append(
            "  ".join(
                v.ljust(w) if i < 2 else v.rjust(w)
                for i, (v, w) in enumerate(zip(row, widths, strict=False))
            ).rstrip()
        )
    lines.append(
        "ratios: natskit / nats-py of the median; msgs/s: higher is better; "
        "us, ns/msg, MiB, ms: lower is better"
    )
    for note, who in notes.items():
        lines.append(f"  {note} ({', '.join(dict.fromkeys(who))})")
    return "\n".join(lines)


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


def chart(path: str, cases: list[Case], results: dict[str, Any]) -> None:
    """Bars of natskit's speed-up over nats-py per case (inverted for lower-is-better)."""
    groups = []
    targets: list[float | None] = []
    for case in cases:
        values = []
        for client in ("natskit", "natskit.aio"):
            r = ratio(results[case.name], client, case.metric)
            values.append(None if r is None else (1 / r if case.lower_is_better else r))
        if any(v is not None for v in values):
            groups.append((case.name, values))
            target = case.target[1] if case.target else None
            targets.append(1 / target if target and case.lower_is_better else target)
    title = "natskit speed-up over nats-py (median; latency, ns/msg and RSS inverted)"
    pngchart.bar_chart(
        path, title, groups, ["natskit (blocking)", "natskit.aio"], reference=1.0, targets=targets
    )


# -- main ---------------------------------------------------------------------------


def select_cases(spec: str | None) -> list[Case]:
    if not spec:
        return list(CASES)
    names: list[str] = []
    by_name = {c.name: c for c in CASES}
    for item in spec.split(","):
        item = item.strip()
        if item in GROUPS:
            names += GROUPS[item]
        elif item in by_name:
            names.append(item)
        elif item:
            raise SystemExit(f"unknown case {item!r}; see --list")
    return [by_name[n] for n in dict.fromkeys(names)]


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer messages (about 2 minutes)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds per case (default 3)")
    parser.add_argument("--cases", help="comma-separated cases or groups (default: all)")
    parser.add_argument(
        "--clients",
        default=",".join(CLIENTS),
        help="comma-separated: natskit, natskit.aio, nats, raw",
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
    started = time.time()
    results: dict[str, Any] = {}
    print(
        f"# {info['cpu']} x{info['nproc']}, Python {info['python']}, {info['nats_server']}, "
        f"load {info['loadavg_start'][0]:.2f}",
        file=sys.stderr,
    )
    with NatsServer(jetstream=True, config=SERVER_CONFIG) as server:
        bench = Bench(server.url, args)
        try:
            for case in cases:
                n = case.n[1] if args.quick else case.n[0]
                if case.name == "rss_1m" and args.rss_msgs:
                    n = args.rss_msgs
                n = max(case.min_n, int(n * args.scale))
                if case.params.get("batch"):
                    n -= n % case.params["batch"]
                params = {"url": server.url, "n": n, "max_seconds": max_seconds, **case.params}
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
        f"{info['loadavg_end'][0]:.2f} at end (nproc {info['nproc']})"
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
