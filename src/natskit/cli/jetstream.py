"""JetStream commands: ``stream``, ``consumer``, ``kv`` and ``object``, each with actions."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from typing import Any

from .._sync.jetstream import JetStream
from ..errors import NatsError
from .common import CliError, payload, show_json, show_msg
from .settings import add_command, open_connection

Action = Callable[[JetStream, argparse.Namespace], Any]


def _group(commands: Any, name: str, help: str) -> Any:
    parser = add_command(commands, name, help=help)
    parser.set_defaults(run=_run)
    return parser.add_subparsers(dest="action", metavar="ACTION", required=True)


def _action(group: Any, name: str, fn: Action, help: str, *positional: str) -> Any:
    parser = add_command(group, name, help=help)
    for arg in positional:
        parser.add_argument(arg)
    parser.set_defaults(action_fn=fn)
    return parser


def _run(args: argparse.Namespace) -> int:
    with open_connection(args) as nc:
        args.action_fn(nc.jetstream(timeout=args.settings.timeout), args)
    return 0


def register(commands: Any) -> None:
    g = _group(commands, "stream", "JetStream streams")
    _action(g, "ls", stream_ls, "list the streams")
    _action(
        g, "info", lambda js, a: show_json(js.stream_info(a.name).raw), "a stream's info", "name"
    )
    p = _action(g, "add", stream_add, "create a stream", "name")
    p.add_argument("--subjects", required=True, help="comma-separated subjects")
    p.add_argument("--storage", choices=["file", "memory"], default="file")
    p.add_argument("--replicas", type=int, default=1)
    _action(g, "rm", lambda js, a: js.delete_stream(a.name), "delete a stream", "name")
    _action(
        g,
        "purge",
        lambda js, a: print(f"purged {js.purge_stream(a.name)} message(s)"),
        "remove every message of a stream",
        "name",
    )

    g = _group(commands, "consumer", "JetStream consumers")
    _action(g, "ls", consumer_ls, "list a stream's consumers", "stream")
    _action(
        g,
        "info",
        lambda js, a: show_json(js.consumer_info(a.stream, a.name).raw),
        "a consumer's info",
        "stream",
        "name",
    )
    p = _action(g, "add", consumer_add, "create a durable pull consumer", "stream", "name")
    p.add_argument("--filter", help="filter subject")
    _action(
        g,
        "rm",
        lambda js, a: js.delete_consumer(a.stream, a.name),
        "delete a consumer",
        "stream",
        "name",
    )
    p = _action(g, "next", consumer_next, "fetch and ack messages", "stream", "name")
    p.add_argument("--count", type=int, default=1)

    g = _group(commands, "kv", "Key-Value buckets")
    _action(g, "ls", lambda js, a: print("\n".join(js.kv_buckets())), "list the buckets")
    p = _action(g, "add", kv_add, "create a bucket", "bucket")
    p.add_argument("--history", type=int, default=1)
    p.add_argument("--storage", choices=["file", "memory"], default="file")
    _action(g, "rm", lambda js, a: js.delete_key_value(a.bucket), "delete a bucket", "bucket")
    _action(
        g,
        "put",
        kv_put,
        "set a key ('-' reads the value from standard input)",
        "bucket",
        "key",
        "value",
    )
    p = _action(g, "get", kv_get, "print a key's value", "bucket", "key")
    p.add_argument("--revision", type=int)
    _action(
        g,
        "del",
        lambda js, a: js.key_value(a.bucket).delete(a.key),
        "delete a key",
        "bucket",
        "key",
    )
    _action(
        g,
        "keys",
        lambda js, a: print("\n".join(js.key_value(a.bucket).keys())),
        "list the keys",
        "bucket",
    )
    _action(g, "history", kv_history, "print every revision of a key", "bucket", "key")

    g = _group(commands, "object", "Object Store buckets")
    _action(g, "ls", object_ls, "list the buckets, or the objects of one")
    g.choices["ls"].add_argument("bucket", nargs="?")
    _action(g, "add", lambda js, a: js.create_object_store(a.bucket), "create a bucket", "bucket")
    _action(g, "rm", object_rm, "delete an object, or a whole bucket", "bucket")
    g.choices["rm"].add_argument("name", nargs="?")
    p = _action(g, "put", object_put, "store a file", "bucket", "file")
    p.add_argument("--name", help="the object's name (default: the file's)")
    p = _action(
        g, "get", object_get, "write an object to a file or standard output", "bucket", "name"
    )
    p.add_argument("-o", "--output", help="file to write (default: standard output)")
    _action(
        g,
        "info",
        lambda js, a: show_json(_object_dict(js.object_store(a.bucket).info(a.name))),
        "an object's metadata",
        "bucket",
        "name",
    )


def stream_ls(js: JetStream, args: argparse.Namespace) -> None:
    for info in js.streams():
        s = info.state
        print(
            f"{info.name}\t{','.join(info.config.subjects or [])}\t{s.messages} msgs\t{s.bytes} B"
        )


def stream_add(js: JetStream, args: argparse.Namespace) -> None:
    info = js.add_stream(
        args.name,
        subjects=args.subjects.split(","),
        storage=args.storage,
        num_replicas=args.replicas,
    )
    print(f"created stream {info.name}")


def consumer_ls(js: JetStream, args: argparse.Namespace) -> None:
    for info in js.consumers(args.stream):
        print(f"{info.name}\t{info.num_pending} pending\t{info.num_ack_pending} unacked")


def consumer_add(js: JetStream, args: argparse.Namespace) -> None:
    options = {"filter_subject": args.filter} if args.filter else {}
    info = js.add_pull_consumer(args.stream, args.name, **options)
    print(f"created consumer {info.name} on {info.stream_name}")


def consumer_next(js: JetStream, args: argparse.Namespace) -> None:
    msgs = js.fetch(args.stream, args.name, args.count, timeout=args.settings.timeout)
    for number, msg in enumerate(msgs, 1):
        show_msg(msg, number)
        msg.ack()
    js.connection.flush(args.settings.timeout)  # the acks are on the server


def kv_add(js: JetStream, args: argparse.Namespace) -> None:
    js.create_key_value(args.bucket, history=args.history, storage=args.storage)
    print(f"created bucket {args.bucket}")


def kv_put(js: JetStream, args: argparse.Namespace) -> None:
    revision = js.key_value(args.bucket).put(args.key, payload(args.value))
    print(f"{args.key} = revision {revision}")


def kv_get(js: JetStream, args: argparse.Namespace) -> None:
    entry = js.key_value(args.bucket).get(args.key, args.revision)
    sys.stdout.buffer.write(entry.value + b"\n")


def kv_history(js: JetStream, args: argparse.Namespace) -> None:
    for entry in js.key_value(args.bucket).history(args.key):
        print(f"{entry.revision}\t{entry.operation}\t{entry.value.decode(errors='replace')}")


def _object_dict(info: Any) -> dict[str, Any]:
    return {k: v for k, v in vars(info).items() if k != "raw" and v not in (None, {}, "")}


def object_ls(js: JetStream, args: argparse.Namespace) -> None:
    if args.bucket is None:
        print("\n".join(js.object_store_names()))
        return
    for info in js.object_store(args.bucket).list():
        print(f"{info.name}\t{info.size} B\t{info.mtime}")


def object_rm(js: JetStream, args: argparse.Namespace) -> None:
    if args.name is None:
        js.delete_object_store(args.bucket)
    else:
        js.object_store(args.bucket).delete(args.name)


def object_put(js: JetStream, args: argparse.Namespace) -> None:
    name = args.name or os.path.basename(args.file)
    try:
        with open(args.file, "rb") as file:
            info = js.object_store(args.bucket).put(name, file)
    except NatsError:
        raise  # a NetworkError is an OSError too, but not the file's
    except OSError as exc:
        raise CliError(f"cannot read {args.file}: {exc}") from None
    print(f"stored {info.name}: {info.size} B in {info.chunks} chunk(s), {info.digest}")


def object_get(js: JetStream, args: argparse.Namespace) -> None:
    store = js.object_store(args.bucket)
    if args.output is None:
        store.get_to(args.name, sys.stdout.buffer)
        sys.stdout.flush()
        return
    partial = f"{args.output}.part"  # the file is replaced only by a whole, checked object
    try:
        with open(partial, "wb") as out:
            info = store.get_to(args.name, out)
        os.replace(partial, args.output)
    except NatsError:
        raise  # a NetworkError is an OSError too, but not the file's
    except OSError as exc:
        raise CliError(f"cannot write {args.output}: {exc}") from None
    finally:
        if os.path.exists(partial):
            os.remove(partial)
    print(f"wrote {info.size} B to {args.output}", file=sys.stderr)
