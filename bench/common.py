"""Shared helpers of the benchmark workers: parameters, time limits, results."""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

Params = dict[str, Any]
Result = dict[str, Any]

# Subjects and JetStream names shared by the orchestrator and the workers.
PUB_SUBJECT = "bench.pub"
PUBSUB_SUBJECT = "bench.ps"
REQ_SUBJECT = "bench.req"
SCALE_SUBJECT = "bench.scale"
OTHER_PREFIX = "bench.other"
JS_PUB_STREAM = "BENCH_PUB"
JS_PUB_SUBJECT = "bjs.pub"
JS_PULL_STREAM = "BENCH_PULL"
JS_BATCH_STREAM = "BENCH_BATCH"
JS_BATCH_SUBJECT = "bjs.batch"
JS_PULL_SUBJECT = "bjs.pull"
JS_CONSUMER = "bench"
KV_BUCKET = "bench"
KV_KEYS = 100

BLOCK = 2048  # messages between two deadline checks


def payload(size: int) -> bytes:
    """A payload of ``size`` bytes that never contains protocol keywords."""
    return b"x" * size


def blocks(n: int, deadline: float) -> Iterator[int]:
    """Split ``n`` into blocks of at most ``BLOCK``; stop early once past ``deadline``."""
    done = 0
    while done < n:
        if time.perf_counter() > deadline:
            return
        size = min(BLOCK, n - done)
        done += size
        yield size


def deadline_of(p: Params) -> float:
    """The ``perf_counter`` time after which a case stops early."""
    return time.perf_counter() + float(p["max_seconds"])


def rate(count: int, elapsed: float, **extra: Any) -> Result:
    """A throughput result: ``count`` things in ``elapsed`` seconds."""
    res: Result = {"count": count, "elapsed": elapsed, "rate": count / elapsed if elapsed else 0.0}
    res.update(extra)
    return res


def percentile(sorted_values: list[float], q: float) -> float:
    """The ``q``-quantile (0..1) of already sorted values, nearest rank."""
    if not sorted_values:
        return float("nan")
    idx = min(len(sorted_values) - 1, max(0, round(q * (len(sorted_values) - 1))))
    return sorted_values[idx]


def latency(samples: list[float], elapsed: float) -> Result:
    """A latency result from per-operation seconds: percentiles in microseconds."""
    values = sorted(samples)
    return {
        "count": len(values),
        "elapsed": elapsed,
        "rate": len(values) / elapsed if elapsed else 0.0,
        "p50_us": percentile(values, 0.50) * 1e6,
        "p90_us": percentile(values, 0.90) * 1e6,
        "p99_us": percentile(values, 0.99) * 1e6,
    }


def na(reason: str) -> Result:
    """The case does not apply to this client (a feature it does not have)."""
    return {"na": reason}


def peak_rss_mb() -> float:
    """Peak resident set size of this process in MiB (VmHWM, else ru_maxrss)."""
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    usage = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return usage / (1024 * 1024) if sys.platform == "darwin" else usage / 1024


def current_rss_mb() -> float:
    """Current resident set size of this process in MiB (0 when unknown)."""
    try:
        with open("/proc/self/statm", encoding="ascii") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / (1024 * 1024)
    except (OSError, ValueError):
        return 0.0


def missing(obj: object, *names: str) -> str | None:
    """The first of ``names`` (a dotted path) that ``obj`` lacks, else None."""
    for name in names:
        target: Any = obj
        for part in name.split("."):
            if not hasattr(target, part):
                return name
            target = getattr(target, part)
    return None


WORKER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "worker.py")


def start_blaster(p: Params) -> subprocess.Popen[bytes]:
    """Start a raw-socket process publishing ``p["n"]`` messages to ``PUBSUB_SUBJECT``."""
    args = {"url": p["url"], "subject": PUBSUB_SUBJECT, "size": p["size"], "n": p["n"]}
    return subprocess.Popen(
        [sys.executable, WORKER, "blast", json.dumps(args)], stdin=subprocess.DEVNULL
    )
