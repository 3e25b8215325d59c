"""A plain-socket NATS client: the ceiling each benchmark case is compared with.

Outgoing frames are encoded once and written in large chunks; incoming frames
are split with ``bytes.find``. It also provides the request responder used by
the request/reply cases and the JetStream API calls of the orchestrator, so
that setting up a case never depends on the client being measured.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable
from typing import Any, NamedTuple
from urllib.parse import urlsplit

from common import (
    JS_CONSUMER,
    JS_PUB_SUBJECT,
    JS_PULL_STREAM,
    KV_BUCKET,
    KV_KEYS,
    PUB_SUBJECT,
    PUBSUB_SUBJECT,
    REQ_SUBJECT,
    Params,
    Result,
    deadline_of,
    latency,
    na,
    payload,
    rate,
)

CHUNK = 64 * 1024
READ_SIZE = 1 << 20
CONNECT = {
    "verbose": False,
    "pedantic": False,
    "lang": "python-raw",
    "version": "0",
    "protocol": 1,
    "headers": True,
    "no_responders": True,
}


class Frame(NamedTuple):
    """A MSG or HMSG (``op`` b"MSG"/b"HMSG"), or a control line (``op`` the line)."""

    op: bytes
    subject: bytes = b""
    reply: bytes = b""
    header: bytes = b""
    data: bytes = b""


class RawConn:
    """One TCP connection after the CONNECT/PING/PONG handshake."""

    def __init__(self, url: str, timeout: float = 30.0) -> None:
        parts = urlsplit(url)
        self.sock = socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 4222))
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock.settimeout(timeout)
        self.buf = b""
        self.early: list[Frame] = []
        self.info: dict[str, Any] = {}
        first = self._next()
        if not first.op.startswith(b"INFO"):
            raise ConnectionError(f"expected INFO, got {first.op[:40]!r}")
        self.info = json.loads(first.op[5:])
        self.sock.sendall(b"CONNECT " + json.dumps(CONNECT).encode() + b"\r\nPING\r\n")
        while True:
            frame = self._next()
            if frame.op == b"PONG":
                break
            if frame.op.startswith(b"-ERR"):
                raise ConnectionError(frame.op.decode())

    def _next(self) -> Frame:
        while not self.early:
            self.early = self.read()
        return self.early.pop(0)

    def send(self, data: bytes | bytearray) -> None:
        self.sock.sendall(data)

    def read(self) -> list[Frame]:
        """Block for one ``recv``; return the frames it completed (PINGs are answered)."""
        data = self.sock.recv(READ_SIZE)
        if not data:
            raise ConnectionError("the server closed the connection")
        buf = self.buf + data if self.buf else data
        out: list[Frame] = []
        pos = 0
        end = len(buf)
        find = buf.find
        while True:
            nl = find(b"\r\n", pos)
            if nl < 0:
                break
            if buf.startswith(b"MSG ", pos) or buf.startswith(b"HMSG ", pos):
                args = buf[pos:nl].split(b" ")
                total = int(args[-1])
                stop = nl + 2 + total
                if stop + 2 > end:
                    break
                if args[0] == b"MSG":
                    reply = args[3] if len(args) == 5 else b""
                    out.append(Frame(b"MSG", args[1], reply, b"", buf[nl + 2 : stop]))
                else:
                    reply = args[3] if len(args) == 6 else b""
                    split = nl + 2 + int(args[-2])
                    out.append(Frame(b"HMSG", args[1], reply, buf[nl + 2 : split], buf[split:stop]))
                pos = stop + 2
            else:
                line = buf[pos:nl]
                pos = nl + 2
                if line == b"PING":
                    self.sock.sendall(b"PONG\r\n")
                elif line.startswith(b"-ERR"):
                    raise ConnectionError(line.decode())
                else:
                    out.append(Frame(line))
        self.buf = buf[pos:]
        return out

    def flush(self) -> None:
        """PING and wait for the PONG (messages arriving meanwhile are discarded)."""
        self.sock.sendall(b"PING\r\n")
        while not any(f.op == b"PONG" for f in self.read()):
            pass

    def request(self, subject: str, data: bytes, timeout: float = 10.0) -> Frame:
        """One request on a private inbox; the first reply."""
        inbox = b"_INBOX.raw.%d" % time.monotonic_ns()
        self.send(
            b"SUB %s 1\r\nPUB %s %s %d\r\n%s\r\n"
            % (inbox, subject.encode(), inbox, len(data), data)
        )
        self.sock.settimeout(timeout)
        try:
            while True:
                for frame in self.read():
                    if frame.subject == inbox:
                        self.send(b"UNSUB 1\r\n")
                        return frame
        finally:
            self.sock.settimeout(30.0)

    def close(self) -> None:
        self.sock.close()


def pub_frames(subject: bytes, data: bytes, n: int) -> list[tuple[bytes, int]]:
    """``n`` PUB frames pre-encoded into chunks of about ``CHUNK`` bytes: (chunk, count)."""
    frame = b"PUB %s %d\r\n%s\r\n" % (subject, len(data), data)
    per = max(1, CHUNK // len(frame))
    full, rest = divmod(n, per)
    return [(frame * per, per)] * full + ([(frame * rest, rest)] if rest else [])


def js_api(url: str, subject: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
    """Call the JetStream API; return the parsed reply (raises on an API error)."""
    conn = RawConn(url)
    try:
        reply = conn.request(subject, json.dumps(body or {}).encode())
    finally:
        conn.close()
    out: dict[str, Any] = json.loads(reply.data) if reply.data else {}
    if "error" in out:
        raise RuntimeError(f"{subject}: {out['error']}")
    return out


# -- the cases ---------------------------------------------------------------


def case_pub(p: Params) -> Result:
    conn = RawConn(p["url"])
    chunks = pub_frames(PUB_SUBJECT.encode(), payload(p["size"]), p["n"])
    deadline = deadline_of(p)
    sent = 0
    t0 = time.perf_counter()
    for chunk, count in chunks:
        conn.send(chunk)
        sent += count
        if time.perf_counter() > deadline:
            break
    conn.flush()
    elapsed = time.perf_counter() - t0
    conn.close()
    return rate(sent, elapsed)


def _count_msgs(conn: RawConn, n: int, deadline: float, marks: list[float]) -> int:
    """Count MSG frames on ``conn`` until ``n`` (times of first and last in ``marks``)."""
    count = 0
    tail = b""
    sock = conn.sock
    sock.settimeout(0.5)
    while count < n and time.monotonic() < deadline:
        try:
            data = sock.recv(READ_SIZE)
        except TimeoutError:
            continue
        if not data:
            break
        if not count:
            marks.append(time.monotonic())
        # Payloads are all b"x", so b"MSG " only starts frames.
        count += (tail + data[:3]).count(b"MSG ") + data.count(b"MSG ")
        tail = data[-3:]
    marks.append(time.monotonic())
    return count


def case_pubsub_1p(p: Params) -> Result:
    n = p["n"]
    sub = RawConn(p["url"])
    sub.send(b"SUB %s 1\r\n" % PUBSUB_SUBJECT.encode())
    sub.flush()
    pub = RawConn(p["url"])
    chunks = pub_frames(PUBSUB_SUBJECT.encode(), payload(p["size"]), n)
    marks: list[float] = []
    got = [0]
    limit = time.monotonic() + float(p["max_seconds"])
    reader = threading.Thread(target=lambda: got.__setitem__(0, _count_msgs(sub, n, limit, marks)))
    reader.start()
    t0 = time.monotonic()
    for chunk, _ in chunks:
        pub.send(chunk)
    reader.join()
    elapsed = marks[-1] - t0
    pub.close()
    sub.close()
    return rate(got[0], elapsed)


def sub_process(p: Params, ready: Callable[[], None]) -> Result:
    """Subscriber side of pubsub_2p: count ``n`` messages; times are monotonic."""
    conn = RawConn(p["url"])
    conn.send(b"SUB %s 1\r\n" % PUBSUB_SUBJECT.encode())
    conn.flush()
    ready()
    marks: list[float] = []
    count = _count_msgs(conn, p["n"], time.monotonic() + float(p["max_seconds"]), marks)
    conn.close()
    return {"count": count, "first": marks[0], "last": marks[-1]}


def publish_for_2p(p: Params) -> float:
    """Publisher side of pubsub_2p: the monotonic time it started."""
    conn = RawConn(p["url"])
    chunks = pub_frames(PUBSUB_SUBJECT.encode(), payload(p["size"]), p["n"])
    t0 = time.monotonic()
    for chunk, _ in chunks:
        conn.send(chunk)
    conn.flush()
    conn.close()
    return t0


def case_req_seq(p: Params) -> Result:
    conn = RawConn(p["url"])
    conn.send(b"SUB _INBOX.raw.* 1\r\n")
    conn.flush()
    frame = b"PUB %s _INBOX.raw.1 %d\r\n%s\r\n" % (
        REQ_SUBJECT.encode(),
        p["size"],
        payload(p["size"]),
    )
    for _ in range(p["warmup"]):
        conn.send(frame)
        while not conn.read():
            pass
    samples: list[float] = []
    deadline = deadline_of(p)
    clock = time.perf_counter
    t_start = clock()
    for _ in range(p["n"]):
        t0 = clock()
        conn.send(frame)
        while not conn.read():
            pass
        samples.append(clock() - t0)
        if t0 > deadline:
            break
    elapsed = clock() - t_start
    conn.close()
    return latency(samples, elapsed)


def case_req_conc(p: Params) -> Result:
    conn = RawConn(p["url"])
    conn.send(b"SUB _INBOX.raw.* 1\r\n")
    conn.flush()
    window = p["window"]
    data = payload(p["size"])
    batch = b"".join(
        b"PUB %s _INBOX.raw.%d %d\r\n%s\r\n" % (REQ_SUBJECT.encode(), i, len(data), data)
        for i in range(window)
    )
    deadline = deadline_of(p)
    done = 0
    t0 = time.perf_counter()
    while done < p["n"] and time.perf_counter() < deadline:
        conn.send(batch)
        got = 0
        while got < window:
            got += len(conn.read())
        done += window
    elapsed = time.perf_counter() - t0
    conn.close()
    return rate(done, elapsed)


def _js_acks(p: Params, window: int) -> Result:
    """JetStream publishes with at most ``window`` acks outstanding."""
    conn = RawConn(p["url"])
    conn.send(b"SUB _INBOX.rawjs.* 1\r\n")
    conn.flush()
    data = payload(p["size"])
    frame = b"PUB %s _INBOX.rawjs.1 %d\r\n%s\r\n" % (JS_PUB_SUBJECT.encode(), len(data), data)
    n = p["n"]
    deadline = deadline_of(p)
    sent = acked = 0
    t0 = time.perf_counter()
    while acked < n:
        room = min(window - (sent - acked), n - sent)
        if room > 0 and time.perf_counter() < deadline:
            conn.send(frame * room)
            sent += room
        elif sent == acked:
            break
        for f in conn.read():
            if f.op == b"MSG":
                if b'"error"' in f.data:
                    raise RuntimeError(f.data.decode())
                acked += 1
    elapsed = time.perf_counter() - t0
    conn.close()
    return rate(acked, elapsed)


def case_js_pub_sync(p: Params) -> Result:
    return _js_acks(p, 1)


def case_js_pub_async(p: Params) -> Result:
    return _js_acks(p, p["window"])


def case_js_fetch(p: Params) -> Result:
    conn = RawConn(p["url"])
    conn.send(b"SUB _INBOX.rawpull 1\r\n")
    conn.flush()
    batch = p["batch"]
    pull = b'{"batch":%d,"expires":5000000000}' % batch
    request = b"PUB $JS.API.CONSUMER.MSG.NEXT.%s.%s _INBOX.rawpull %d\r\n%s\r\n" % (
        JS_PULL_STREAM.encode(),
        JS_CONSUMER.encode(),
        len(pull),
        pull,
    )
    deadline = deadline_of(p)
    done = 0
    t0 = time.perf_counter()
    while done < p["n"] and time.perf_counter() < deadline:
        conn.send(request)
        got = 0
        while got < batch:
            acks = []
            for f in conn.read():
                if f.op == b"MSG" and f.reply:
                    acks.append(b"PUB %s 4\r\n+ACK\r\n" % f.reply)
                elif f.op == b"HMSG":
                    raise RuntimeError(f"pull status: {f.header!r}")
            got += len(acks)
            conn.send(b"".join(acks))
        done += got
    conn.flush()
    elapsed = time.perf_counter() - t0
    conn.close()
    return rate(done, elapsed)


def case_kv_put(p: Params) -> Result:
    conn = RawConn(p["url"])
    conn.send(b"SUB _INBOX.rawkv 1\r\n")
    conn.flush()
    data = payload(p["size"])
    frames = [
        b"PUB $KV.%s.k%d _INBOX.rawkv %d\r\n%s\r\n" % (KV_BUCKET.encode(), i, len(data), data)
        for i in range(KV_KEYS)
    ]
    samples = _one_by_one(conn, frames, p)
    conn.close()
    return samples


def case_kv_get(p: Params) -> Result:
    conn = RawConn(p["url"])
    conn.send(b"SUB _INBOX.rawkv 1\r\n")
    conn.flush()
    frames = [
        b"PUB $JS.API.DIRECT.GET.KV_%s.$KV.%s.k%d _INBOX.rawkv 0\r\n\r\n"
        % (KV_BUCKET.encode(), KV_BUCKET.encode(), i)
        for i in range(KV_KEYS)
    ]
    samples = _one_by_one(conn, frames, p)
    conn.close()
    return samples


def _one_by_one(conn: RawConn, frames: list[bytes], p: Params) -> Result:
    deadline = deadline_of(p)
    done = 0
    t0 = time.perf_counter()
    while done < p["n"] and time.perf_counter() < deadline:
        conn.send(frames[done % len(frames)])
        while not conn.read():
            pass
        done += 1
    return rate(done, time.perf_counter() - t0)


CASES: dict[str, Callable[[Params], Result]] = {
    "pub": case_pub,
    "pubsub_1p": case_pubsub_1p,
    "req_seq": case_req_seq,
    "req_conc": case_req_conc,
    "js_pub_sync": case_js_pub_sync,
    "js_pub_async": case_js_pub_async,
    "js_fetch": case_js_fetch,
    "js_consume": lambda p: na("no raw ceiling for consume()"),
    "kv_put": case_kv_put,
    "kv_get": case_kv_get,
}


# -- helpers run as their own processes ------------------------------------------


def responder(url: str, reply_size: int = 16) -> None:
    """Answer every request on ``REQ_SUBJECT`` until the connection ends."""
    conn = RawConn(url)
    conn.sock.settimeout(None)
    conn.send(b"SUB %s 1\r\n" % REQ_SUBJECT.encode())
    answer = b" %d\r\n%s\r\n" % (reply_size, payload(reply_size))
    while True:
        out = [b"PUB " + f.reply + answer for f in conn.read() if f.reply]
        if out:
            conn.send(b"".join(out))


def blast(url: str, subject: str, size: int, n: int) -> None:
    """Publish ``n`` messages as fast as the socket takes them, then flush."""
    conn = RawConn(url)
    for chunk, _ in pub_frames(subject.encode(), payload(size), n):
        conn.send(chunk)
    conn.flush()
    conn.close()
