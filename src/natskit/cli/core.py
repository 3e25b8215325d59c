"""Core NATS commands: ``server``, ``pub``, ``sub``, ``req``, ``reply``, ``bench``, ``trace``."""

from __future__ import annotations

import argparse
import signal
import socket
import sys
import threading
import time
from typing import Any

from .._sync.msg import Msg
from ..errors import ConnectionClosedError
from ..status import Status
from .common import (
    CliError,
    add_header_option,
    add_json_option,
    done,
    headers_of,
    payload,
    show_json,
    show_msg,
)
from .progress import Progress, add_progress_option
from .settings import add_command, duration, open_connection


def positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


def register(commands: Any) -> None:
    p = commands.add_parser("server", help="run an embedded nats-server until Ctrl-C")
    p.add_argument("--port", type=int, default=4222, help="client port (0: any free one)")
    p.add_argument("--jetstream", action="store_true", help="enable JetStream")
    p.add_argument("--store-dir", help="JetStream storage (default: a temporary directory)")
    p.set_defaults(run=cmd_server)

    p = add_command(commands, "pub", help="publish a message")
    p.add_argument("subject")
    p.add_argument("data", nargs="?", default="", help="the body ('-': standard input)")
    p.add_argument("--reply", help="reply subject")
    p.add_argument("--count", type=int, default=1, help="publish it this many times")
    add_header_option(p)
    p.set_defaults(run=cmd_pub)

    p = add_command(commands, "sub", help="print the messages of a subject")
    p.add_argument("subject")
    p.add_argument("--queue", help="queue group")
    p.add_argument("--count", type=int, help="stop after this many messages")
    p.add_argument("--raw", action="store_true", help="print only the bodies")
    p.set_defaults(run=cmd_sub)

    p = add_command(commands, "req", help="send a request and print the reply")
    p.add_argument("subject")
    p.add_argument("data", nargs="?", default="", help="the body ('-': standard input)")
    p.add_argument("--raw", action="store_true", help="print only the body of the reply")
    add_header_option(p)  # as natscli: -H adds headers to the request
    p.set_defaults(run=cmd_req)

    p = add_command(commands, "trace", help="trace a message through the servers (ADR-41)")
    p.add_argument("subject")
    p.add_argument("data", nargs="?", default="", help="the body ('-': standard input)")
    p.add_argument("--no-deliver", action="store_true", help="trace only, do not deliver it")
    p.add_argument("--wait", type=duration, default=1.0, help="gather events this long (1s)")
    add_header_option(p)
    add_json_option(p)
    p.set_defaults(run=cmd_trace)

    p = add_command(commands, "reply", help="answer the requests on a subject")
    p.add_argument("subject")
    p.add_argument("response", nargs="?", help="the answer (default: echo the request)")
    p.add_argument("--queue", help="queue group")
    p.add_argument("--count", type=int, help="stop after this many requests")
    p.set_defaults(run=cmd_reply)

    p = add_command(commands, "bench", help="publish and receive on one connection, print rates")
    p.add_argument("subject", nargs="?", default="natskit.bench")
    p.add_argument("--msgs", type=positive, default=100_000, help="messages (default 100,000)")
    p.add_argument("--size", type=int, default=128, help="payload bytes (default 128)")
    p.add_argument("--pub-only", action="store_true", help="no subscriber")
    add_progress_option(p)
    add_json_option(p)
    p.set_defaults(run=cmd_bench)


def cmd_server(args: argparse.Namespace) -> int:
    from ..testing import NatsServer

    if args.port:  # fail at once on a taken port (the server would retry for seconds)
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", args.port))
            except OSError as exc:
                raise CliError(f"port {args.port} is not free: {exc}") from None
    # SIGTERM and SIGHUP end the tool like Ctrl-C, so that the server is stopped with it.
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, lambda signum, _: sys.exit(128 + signum))
    server = NatsServer(jetstream=args.jetstream, port=args.port or None, store_dir=args.store_dir)
    try:
        server.start()
    except RuntimeError as exc:  # no binary, or the server would not start: its log says why
        raise CliError(str(exc)) from None
    print(server.url, flush=True)
    try:
        status = server.wait()
    finally:
        server.close()
    return 0 if status == 0 else 1


def cmd_pub(args: argparse.Namespace) -> int:
    data, headers = payload(args.data), headers_of(args.header)
    with open_connection(args) as nc:
        for _ in range(args.count):
            nc.publish(args.subject, data, reply=args.reply, headers=headers)
        nc.flush(args.settings.timeout)
    done(f"published {args.count} message(s) to {args.subject}")
    return 0


def _until_count(args: argparse.Namespace, handle: Any) -> None:
    """Subscribe ``handle`` to ``args.subject``; wait for ``--count`` or Ctrl-C."""
    done = threading.Event()
    seen = 0
    broken = False

    def on_msg(msg: Msg) -> None:
        nonlocal seen, broken
        seen += 1
        try:
            if args.count is None or seen <= args.count:
                handle(msg, seen)
        except BrokenPipeError:  # the reader of our output is gone (| head)
            broken = True
            done.set()
        if args.count is not None and seen >= args.count:
            done.set()

    with open_connection(args) as nc:
        nc.subscribe(args.subject, queue=args.queue, callback=on_msg)
        nc.flush(args.settings.timeout)
        while not done.wait(0.5):
            if nc.status is Status.CLOSED:  # lost, and the tool does not reconnect
                raise nc.last_error or ConnectionClosedError("the connection was closed")
        if broken:
            raise BrokenPipeError


def cmd_sub(args: argparse.Namespace) -> int:
    _until_count(args, lambda msg, n: show_msg(msg, n, raw=args.raw))
    return 0


def cmd_req(args: argparse.Namespace) -> int:
    """Print the reply: a line naming the request, the reply's headers, its body
    (``--raw``: the body only); never the inbox the reply came to."""
    data, headers = payload(args.data), headers_of(args.header)
    with open_connection(args) as nc:
        start = time.perf_counter()
        reply = nc.request(args.subject, data, headers=headers, timeout=args.settings.timeout)
        rtt = time.perf_counter() - start
    if args.raw:
        sys.stdout.buffer.write(reply.data + b"\n")
    else:
        print(f"reply to {args.subject}: {len(reply.data)} bytes in {rtt * 1000:.2f} ms")
        if reply.has_headers:
            for key, value in reply.headers.items():
                print(f"  {key}: {value}")
        print(reply.data.decode(errors="replace"))
    sys.stdout.flush()
    return 0


def cmd_trace(args: argparse.Namespace) -> int:
    """One line per server the message went through, then its events."""
    data, headers = payload(args.data), headers_of(args.header)
    with open_connection(args) as nc:
        events = nc.trace(
            args.subject, data, headers=headers, deliver=not args.no_deliver, timeout=args.wait
        )
    if args.json:
        show_json(events)
        return 0
    if not events:
        print(f"no trace events for {args.subject} within {args.wait:g} s")
    for event in events:
        server = event.get("server") or {}
        print(f"{server.get('name', '?')} (version {server.get('ver', '?')}):")
        for step in event.get("events") or []:
            kind = _KINDS.get(step.get("kind"), str(step.get("kind", "")))
            what = step.get("subj") or step.get("sub") or step.get("name") or ""
            line = f"  {_STEPS.get(step.get('type'), step.get('type'))} {what} ({kind})"
            if step.get("error"):
                line += f" error: {step['error']}"
            print(line)
    return 0


# ADR-41: the event types and the kinds of connection they happen on
_STEPS = {
    "in": "ingress",
    "eg": "egress",
    "sm": "subject mapping",
    "se": "stream export",
    "si": "service import",
    "js": "jetstream",
}
_KINDS = {
    0: "client",
    1: "route",
    2: "gateway",
    3: "system",
    4: "leafnode",
    5: "jetstream",
    6: "account",
}


def cmd_reply(args: argparse.Namespace) -> int:
    def answer(msg: Msg, n: int) -> None:
        show_msg(msg, n)
        if msg.reply:
            msg.respond(msg.data if args.response is None else args.response.encode())

    _until_count(args, answer)
    return 0


def _rates(msgs: int, size: int, seconds: float) -> dict[str, float]:
    seconds = max(seconds, 1e-9)
    return {
        "seconds": seconds,
        "msgs_per_sec": msgs / seconds,
        "bytes_per_sec": msgs * size / seconds,
    }


def cmd_bench(args: argparse.Namespace) -> int:
    """Publish ``--msgs`` messages (and receive them on the same connection);
    ``--json`` prints ``{"subject", "msgs", "size", "publish": RATES, "pubsub":
    RATES or null}``, RATES being ``{"seconds", "msgs_per_sec", "bytes_per_sec"}``."""
    data = b"x" * args.size
    received = threading.Event()
    count = 0
    step = max(1, args.msgs // 200)  # messages between progress updates

    def on_msg(_: Msg) -> None:
        nonlocal count
        count += 1
        if count == args.msgs:
            received.set()

    with open_connection(args) as nc:
        if not args.pub_only:
            sub = nc.subscribe(args.subject, callback=on_msg)
            sub.pending_msgs_limit = args.msgs + 1
            sub.pending_bytes_limit = (args.msgs + 1) * (args.size + 64)
            nc.flush(args.settings.timeout)
        start = time.perf_counter()
        with Progress("published", args.msgs, unit="msgs", enabled=args.progress) as shown:
            for sent in range(0, args.msgs, step):
                for _ in range(min(step, args.msgs - sent)):
                    nc.publish(args.subject, data)
                shown.advance(min(step, args.msgs - sent))
            nc.flush(60)
        published = time.perf_counter() - start
        if not args.pub_only:
            deadline = time.monotonic() + 60
            with Progress("received", args.msgs, unit="msgs", enabled=args.progress) as shown:
                while not received.wait(0.1) and time.monotonic() < deadline:
                    shown.advance(count - shown.done)
                shown.advance(count - shown.done)
            if not received.is_set():
                raise CliError(f"received only {count} of {args.msgs} messages in 60 s")
        total = time.perf_counter() - start
    publish = _rates(args.msgs, args.size, published)
    pubsub = None if args.pub_only else _rates(args.msgs, args.size, total)
    if args.json:
        show_json(
            {
                "subject": args.subject,
                "msgs": args.msgs,
                "size": args.size,
                "publish": publish,
                "pubsub": pubsub,
            }
        )
        return 0
    print(f"published {args.msgs} x {args.size} B: {publish['msgs_per_sec']:,.0f} msgs/s")
    if pubsub is not None:
        print(f"published and received: {pubsub['msgs_per_sec']:,.0f} msgs/s")
    return 0
