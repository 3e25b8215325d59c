"""The interpreter's floor under publish and receive: what the least Python costs.

No server is involved. Each line is the median of 5 runs, in ns per message, of
the smallest Python code that does part of a client's per-message work, so the
distance between natskit's measured cost and the targets of issue 4 can be
compared with what this CPython on this CPU can do at all:

    .venv/bin/python bench/floor.py
"""

from __future__ import annotations

import asyncio
import statistics
import threading
import time
from collections.abc import Callable

from natskit._async.msg import Msg
from natskit._protocol.parser import Parser

N = 1_000_000
SUBJECT = "bench.pub"
PAYLOAD = b"x" * 16


class _Client:
    """The least a publish can be: a call, a lookup, a format, an append, counters."""

    def __init__(self) -> None:
        self.heads = {SUBJECT: b"PUB bench.pub "}
        self.buf = bytearray()
        self.lock = threading.Lock()
        self.msgs = 0
        self.bytes = 0

    def empty(self, subject: str, payload: bytes = b"", *, reply: str | None = None) -> None:
        pass

    async def empty_async(self, subject: str, payload: bytes = b"") -> None:
        pass

    def publish(self, subject: str, payload: bytes = b"", *, reply: str | None = None) -> None:
        head = self.heads.get(subject)
        size = len(payload)
        self.buf += b"%b%d\r\n%b\r\n" % (head, size, payload)
        self.msgs += 1
        self.bytes += size
        if len(self.buf) > 1 << 20:
            self.buf.clear()

    def publish_locked(self, subject: str, payload: bytes = b"") -> None:
        head = self.heads.get(subject)
        size = len(payload)
        cmd = b"%b%d\r\n%b\r\n" % (head, size, payload)
        with self.lock:
            self.buf += cmd
        self.msgs += 1
        self.bytes += size
        if len(self.buf) > 1 << 20:
            self.buf.clear()


def _ns(run: Callable[[], None], n: int) -> float:
    times = []
    for _ in range(5):
        t0 = time.perf_counter()
        run()
        times.append(time.perf_counter() - t0)
    return statistics.median(times) / n * 1e9


def publish_floor() -> list[tuple[str, float]]:
    c = _Client()
    rng = range(N)

    def loop() -> None:
        for _ in rng:
            pass

    def calls() -> None:
        for _ in rng:
            c.empty(SUBJECT, PAYLOAD)

    def work() -> None:
        for _ in rng:
            c.publish(SUBJECT, PAYLOAD)

    def locked() -> None:
        for _ in rng:
            c.publish_locked(SUBJECT, PAYLOAD)

    async def awaits() -> None:
        for _ in rng:
            await c.empty_async(SUBJECT, PAYLOAD)

    return [
        ("empty loop iteration", _ns(loop, N)),
        ("loop + call of an empty publish()", _ns(calls, N)),
        ("loop + await of an empty async publish()", _ns(lambda: asyncio.run(awaits()), N)),
        ("loop + least publish (lookup, format, append, counters)", _ns(work, N)),
        ("  the same with a lock around the append (threads)", _ns(locked, N)),
    ]


def receive_floor() -> list[tuple[str, float]]:
    frame = b"MSG bench.ps 1 16\r\n" + PAYLOAD + b"\r\n"
    count = 256 * 1024 // len(frame)
    chunk = frame * count
    rounds = N // count
    parser = Parser()
    received = []

    def parse() -> None:
        for _ in range(rounds):
            parser.feed(chunk)

    def deliver() -> None:
        new = Msg.__new__
        for _ in range(rounds):
            for subject, _sid, reply, _header, data in frames:
                msg = new(Msg)
                msg.subject, msg.reply, msg.data = subject, reply, data
                received.append(msg)
            received.clear()

    def split() -> None:
        for _ in range(rounds):
            chunk.split(b"\r\n")

    frames = parser.feed(chunk)
    return [
        ("bytes.split of the same bytes at CRLF (C only), per frame", _ns(split, rounds * count)),
        ("natskit Parser.feed, per MSG frame", _ns(parse, rounds * count)),
        ("least delivery: a Msg with three fields, into a list", _ns(deliver, rounds * count)),
    ]


def main() -> None:
    print(f"{'ns per message':>16}  what")
    for name, ns in publish_floor() + receive_floor():
        print(f"{ns:16.0f}  {name}")


if __name__ == "__main__":
    main()
