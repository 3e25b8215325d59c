"""``stream`` and ``consumer``: JetStream streams and their consumers.

``ls --json`` prints the names (as natscli does), ``info --json`` the info
as the server sent it (less the API envelope: ``type``, paging); ``rm`` and
``purge`` ask first (``-f`` does not).
"""

from __future__ import annotations

import argparse
from typing import Any

from .._sync.jetstream import JetStream
from ..timeutil import format_time
from .actions import action, group
from .common import (
    add_force_option,
    add_json_option,
    api_json,
    confirm,
    done,
    show_fields,
    show_json,
    show_msg,
)


def register(commands: Any) -> None:
    g = group(commands, "stream", "JetStream streams")
    add_json_option(action(g, "ls", stream_ls, "list the streams"))
    add_json_option(action(g, "info", stream_info, "a stream's configuration and state", "name"))
    p = action(g, "add", stream_add, "create a stream", "name")
    p.add_argument("--subjects", required=True, help="comma-separated subjects")
    p.add_argument("--storage", choices=["file", "memory"], default="file")
    p.add_argument("--replicas", type=int, default=1)
    add_force_option(action(g, "rm", stream_rm, "delete a stream", "name"))
    add_force_option(action(g, "purge", stream_purge, "remove every message of a stream", "name"))

    g = group(commands, "consumer", "JetStream consumers")
    add_json_option(action(g, "ls", consumer_ls, "list a stream's consumers", "stream"))
    add_json_option(action(g, "info", consumer_info, "a consumer's info", "stream", "name"))
    p = action(g, "add", consumer_add, "create a durable pull consumer", "stream", "name")
    p.add_argument("--filter", help="filter subject")
    add_force_option(action(g, "rm", consumer_rm, "delete a consumer", "stream", "name"))
    p = action(g, "next", consumer_next, "fetch and ack messages", "stream", "name")
    p.add_argument("--count", type=int, default=1)


def _when(value: Any) -> str | None:
    return None if value is None else format_time(value)


def stream_ls(js: JetStream, args: argparse.Namespace) -> None:
    infos = js.streams()
    if args.json:
        show_json(sorted(info.name for info in infos))
        return
    if not infos:
        print("no streams defined")
    for info in sorted(infos, key=lambda i: i.name):
        s = info.state
        print(
            f"{info.name}\t{','.join(info.config.subjects or [])}\t{s.messages} msgs\t{s.bytes} B"
        )


def stream_info(js: JetStream, args: argparse.Namespace) -> None:
    info = js.stream_info(args.name)
    if args.json:
        show_json(api_json(info.raw))
        return
    c, s = info.config, info.state
    show_fields(
        f"stream {info.name}",
        [
            ("subjects", ", ".join(c.subjects or []) or "(none)"),
            ("description", c.description),
            ("storage", c.storage),
            ("replicas", c.num_replicas),
            ("retention", c.retention),
            ("created", _when(info.created)),
            ("messages", f"{s.messages:,}"),
            ("bytes", f"{s.bytes:,}"),
            ("first seq", f"{s.first_seq}" + (f" at {_when(s.first_ts)}" if s.first_ts else "")),
            ("last seq", f"{s.last_seq}" + (f" at {_when(s.last_ts)}" if s.last_ts else "")),
            ("subjects stored", s.num_subjects),
            ("consumers", s.consumer_count),
        ],
    )


def stream_add(js: JetStream, args: argparse.Namespace) -> None:
    info = js.add_stream(
        args.name,
        subjects=args.subjects.split(","),
        storage=args.storage,
        num_replicas=args.replicas,
    )
    done(f"created stream {info.name}")


def stream_rm(js: JetStream, args: argparse.Namespace) -> None:
    confirm(args, f"delete stream {args.name}")
    js.delete_stream(args.name)
    done(f"deleted stream {args.name}")


def stream_purge(js: JetStream, args: argparse.Namespace) -> None:
    confirm(args, f"purge every message of stream {args.name}")
    purged = js.purge_stream(args.name)
    done(f"purged stream {args.name}: {purged} message(s)")


def consumer_ls(js: JetStream, args: argparse.Namespace) -> None:
    infos = sorted(js.consumers(args.stream), key=lambda i: i.name)
    if args.json:
        show_json([info.name for info in infos])
        return
    if not infos:
        print(f"no consumers defined on stream {args.stream}")
    for info in infos:
        print(f"{info.name}\t{info.num_pending} pending\t{info.num_ack_pending} unacked")


def consumer_info(js: JetStream, args: argparse.Namespace) -> None:
    info = js.consumer_info(args.stream, args.name)
    if args.json:
        show_json(api_json(info.raw))
        return
    c = info.config
    show_fields(
        f"consumer {info.name} on stream {info.stream_name}",
        [
            ("durable", "yes" if c.durable_name else "no"),
            ("kind", "push" if c.deliver_subject else "pull"),
            ("filter", c.filter_subject or ", ".join(c.filter_subjects or []) or None),
            ("deliver policy", c.deliver_policy),
            ("ack policy", c.ack_policy),
            ("created", _when(info.created)),
            (
                "delivered",
                f"consumer seq {info.delivered.consumer_seq}, "
                f"stream seq {info.delivered.stream_seq}",
            ),
            (
                "ack floor",
                f"consumer seq {info.ack_floor.consumer_seq}, "
                f"stream seq {info.ack_floor.stream_seq}",
            ),
            ("pending", info.num_pending),
            ("unacked", info.num_ack_pending),
            ("redelivered", info.num_redelivered),
            ("waiting pulls", info.num_waiting),
        ],
    )


def consumer_add(js: JetStream, args: argparse.Namespace) -> None:
    options = {"filter_subject": args.filter} if args.filter else {}
    info = js.add_pull_consumer(args.stream, args.name, **options)
    done(f"created consumer {info.name} on stream {info.stream_name}")


def consumer_rm(js: JetStream, args: argparse.Namespace) -> None:
    confirm(args, f"delete consumer {args.name} of stream {args.stream}")
    js.delete_consumer(args.stream, args.name)
    done(f"deleted consumer {args.name} of stream {args.stream}")


def consumer_next(js: JetStream, args: argparse.Namespace) -> None:
    timeout = args.settings.timeout
    msgs = js.fetch(args.stream, args.name, args.count, timeout=timeout)
    for number, msg in enumerate(msgs, 1):
        show_msg(msg, number)
        msg.ack()
    js.connection.flush(timeout)  # the acks are on the server
