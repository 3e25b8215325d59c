"""Failover time: kill the node a client is on, time until it publishes again.

Usage: ``.venv/bin/python bench/failover.py [--rounds N]``. Starts a 3-node
cluster on loopback, and per round and API: connects to node 0, kills it by
PID, and measures (a) the time until the status is RECONNECTING and (b) until
CONNECTED to another node with its subscription restored (a message
published after the kill comes back through it).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import threading
import time

import natskit
import natskit.aio
from natskit import Status
from natskit.testing import NatsCluster

OPTIONS = {"reconnect_time_wait": 0.05, "randomize": False}


def blocking_round(cluster: NatsCluster) -> tuple[float, float]:
    lost, back = threading.Event(), threading.Event()

    def on_status(status: Status) -> None:
        if status is Status.RECONNECTING:
            lost.set()
        elif status is Status.CONNECTED and lost.is_set():
            back.set()

    with natskit.connect(cluster.urls[0], status_cb=on_status, **OPTIONS) as nc:
        sub = nc.subscribe("failover")
        nc.flush()
        start = time.perf_counter()
        cluster.kill(0)
        lost.wait(10)
        noticed = time.perf_counter() - start
        nc.publish("failover", b"x")
        sub.next_msg(timeout=10)
        back.wait(10)
        return noticed, time.perf_counter() - start


async def asyncio_round(cluster: NatsCluster) -> tuple[float, float]:
    lost, back = asyncio.Event(), asyncio.Event()

    def on_status(status: Status) -> None:
        if status is Status.RECONNECTING:
            lost.set()
        elif status is Status.CONNECTED and lost.is_set():
            back.set()

    async with await natskit.aio.connect(cluster.urls[0], status_cb=on_status, **OPTIONS) as nc:
        sub = await nc.subscribe("failover")
        await nc.flush()
        start = time.perf_counter()
        await asyncio.to_thread(cluster.kill, 0)
        await asyncio.wait_for(lost.wait(), 10)
        noticed = time.perf_counter() - start
        await nc.publish("failover", b"x")
        await sub.next_msg(timeout=10)
        await asyncio.wait_for(back.wait(), 10)
        return noticed, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    results: dict[str, list[tuple[float, float]]] = {"blocking": [], "asyncio": []}
    with NatsCluster() as cluster:
        for _ in range(args.rounds):
            results["blocking"].append(blocking_round(cluster))
            cluster.restart(0)
            results["asyncio"].append(asyncio.run(asyncio_round(cluster)))
            cluster.restart(0)
    print(f"{'API':<10}{'loss noticed (ms)':>20}{'message through (ms)':>24}")
    for api, rows in results.items():
        noticed = statistics.median(r[0] for r in rows) * 1e3
        through = statistics.median(r[1] for r in rows) * 1e3
        print(f"{api:<10}{noticed:>20.1f}{through:>24.1f}")


if __name__ == "__main__":
    main()
