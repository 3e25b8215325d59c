"""``kv`` and ``object``: Key-Value and Object Store buckets.

``ls --json`` prints names (the objects' metadata for ``object ls BUCKET``),
``info --json`` what the server sent: the bucket's stream info (less the
API envelope), or an object's stored metadata. ``rm`` and ``kv del`` ask
first (``-f`` does not); object transfers show progress on a terminal.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

from .._sync.jetstream import JetStream
from ..errors import NatsError
from ..timeutil import format_time
from .actions import action, group
from .common import (
    CliError,
    add_force_option,
    add_json_option,
    api_json,
    confirm,
    done,
    payload,
    show_fields,
    show_json,
)
from .progress import MIN_BYTES, CountingReader, CountingWriter, Progress, add_progress_option


def register(commands: Any) -> None:
    g = group(commands, "kv", "Key-Value buckets")
    add_json_option(action(g, "ls", kv_ls, "list the buckets"))
    add_json_option(action(g, "info", kv_info, "a bucket's configuration and state", "bucket"))
    p = action(g, "add", kv_add, "create a bucket", "bucket")
    p.add_argument("--history", type=int, default=1)
    p.add_argument("--storage", choices=["file", "memory"], default="file")
    add_force_option(action(g, "rm", kv_rm, "delete a bucket", "bucket"))
    help = "set a key ('-' reads the value from standard input)"
    action(g, "put", kv_put, help, "bucket", "key", "value")
    p = action(g, "get", kv_get, "print a key's value", "bucket", "key")
    p.add_argument("--revision", type=int)
    add_force_option(action(g, "del", kv_del, "delete a key", "bucket", "key"))
    add_json_option(action(g, "keys", kv_keys, "list the keys", "bucket"))
    action(g, "history", kv_history, "print every revision of a key", "bucket", "key")

    g = group(commands, "object", "Object Store buckets")
    p = add_json_option(action(g, "ls", object_ls, "list the buckets, or the objects of one"))
    p.add_argument("bucket", nargs="?")
    help = "a bucket's status, or an object's metadata"
    add_json_option(action(g, "info", object_info, help, "bucket")).add_argument("name", nargs="?")
    action(g, "add", object_add, "create a bucket", "bucket")
    p = add_force_option(
        action(g, "rm", object_rm, "delete an object, or a whole bucket", "bucket")
    )
    p.add_argument("name", nargs="?")
    p = action(g, "put", object_put, "store a file", "bucket", "file")
    p.add_argument("--name", help="the object's name (default: the file's)")
    add_progress_option(p)
    help = "write an object to a file or standard output"
    p = action(g, "get", object_get, help, "bucket", "name")
    p.add_argument("-o", "--output", help="file to write (default: standard output)")
    add_progress_option(p)


def _when(value: Any) -> str | None:
    return None if value is None else format_time(value)


def _names(names: list[str], args: argparse.Namespace, none: str) -> None:
    names = sorted(names)
    if args.json:
        show_json(names)
    elif not names:
        print(none)
    else:
        print("\n".join(names))


# -- kv ---------------------------------------------------------------------


def kv_ls(js: JetStream, args: argparse.Namespace) -> None:
    _names(js.kv_buckets(), args, "no buckets defined")


def kv_info(js: JetStream, args: argparse.Namespace) -> None:
    kv = js.key_value(args.bucket)
    if args.json:
        show_json(api_json(js.stream_info(kv.stream).raw))
        return
    s = kv.status()
    show_fields(
        f"bucket {s.bucket}",
        [
            ("description", s.stream_config.description),
            ("history", s.history),
            ("ttl", f"{s.ttl:g} s" if s.ttl else "none"),
            ("storage", s.stream_config.storage),
            ("replicas", s.stream_config.num_replicas),
            ("compressed", "yes" if s.is_compressed else "no"),
            ("values", f"{s.values:,}"),
            ("bytes", f"{s.bytes:,}"),
            ("mirror of", s.mirror_name),
        ],
    )


def kv_add(js: JetStream, args: argparse.Namespace) -> None:
    js.create_key_value(args.bucket, history=args.history, storage=args.storage)
    done(f"created bucket {args.bucket}")


def kv_rm(js: JetStream, args: argparse.Namespace) -> None:
    confirm(args, f"delete bucket {args.bucket} and every key in it")
    js.delete_key_value(args.bucket)
    done(f"deleted bucket {args.bucket}")


def kv_put(js: JetStream, args: argparse.Namespace) -> None:
    revision = js.key_value(args.bucket).put(args.key, payload(args.value))
    done(f"stored {args.key} in bucket {args.bucket}: revision {revision}")


def kv_get(js: JetStream, args: argparse.Namespace) -> None:
    entry = js.key_value(args.bucket).get(args.key, args.revision)
    sys.stdout.buffer.write(entry.value + b"\n")
    sys.stdout.flush()


def kv_del(js: JetStream, args: argparse.Namespace) -> None:
    kv = js.key_value(args.bucket)
    confirm(args, f"delete key {args.key} of bucket {args.bucket}")
    kv.delete(args.key)
    done(f"deleted {args.key} in bucket {args.bucket}")


def kv_keys(js: JetStream, args: argparse.Namespace) -> None:
    _names(js.key_value(args.bucket).keys(), args, f"no keys in bucket {args.bucket}")


def kv_history(js: JetStream, args: argparse.Namespace) -> None:
    for entry in js.key_value(args.bucket).history(args.key):
        print(f"{entry.revision}\t{entry.operation}\t{entry.value.decode(errors='replace')}")


# -- object -----------------------------------------------------------------


def object_ls(js: JetStream, args: argparse.Namespace) -> None:
    if args.bucket is None:
        _names(js.object_store_names(), args, "no object stores defined")
        return
    infos = js.object_store(args.bucket).list()
    if args.json:
        show_json([info.raw for info in infos])
        return
    if not infos:
        print(f"no objects in {args.bucket}")
    for info in infos:
        print(f"{info.name}\t{info.size} B\t{_when(info.mtime)}")


def object_info(js: JetStream, args: argparse.Namespace) -> None:
    store = js.object_store(args.bucket)
    if args.name is None:
        s = store.status()
        if args.json:
            show_json(api_json(s.stream_info.raw))
            return
        show_fields(
            f"object store {s.bucket}",
            [
                ("description", s.description),
                ("ttl", f"{s.ttl:g} s" if s.ttl else "none"),
                ("storage", s.storage),
                ("replicas", s.replicas),
                ("sealed", "yes" if s.sealed else "no"),
                ("size", f"{s.size:,} B"),
            ],
        )
        return
    info = store.info(args.name)
    if args.json:
        show_json(info.raw)
        return
    show_fields(
        f"object {info.name} in {info.bucket}",
        [
            ("description", info.description),
            ("size", f"{info.size:,} B"),
            ("chunks", info.chunks),
            ("digest", info.digest),
            ("modified", _when(info.mtime)),
            ("link", f"{info.link.bucket}/{info.link.name or ''}" if info.link else None),
            ("metadata", info.metadata or None),
        ],
    )


def object_add(js: JetStream, args: argparse.Namespace) -> None:
    js.create_object_store(args.bucket)
    done(f"created object store {args.bucket}")


def object_rm(js: JetStream, args: argparse.Namespace) -> None:
    if args.name is None:
        confirm(args, f"delete object store {args.bucket} and every object in it")
        js.delete_object_store(args.bucket)
        done(f"deleted object store {args.bucket}")
    else:
        store = js.object_store(args.bucket)
        confirm(args, f"delete object {args.name} of {args.bucket}")
        store.delete(args.name)
        done(f"deleted {args.name} in {args.bucket}")


def object_put(js: JetStream, args: argparse.Namespace) -> None:
    name = args.name or os.path.basename(args.file)
    store = js.object_store(args.bucket)
    try:
        with open(args.file, "rb") as file:
            size = os.fstat(file.fileno()).st_size
            shown = args.progress and size > MIN_BYTES
            with Progress(f"putting {name}", size, enabled=shown) as progress:
                info = store.put(name, CountingReader(file, progress))
    except NatsError:
        raise  # a NetworkError is an OSError too, but not the file's
    except OSError as exc:
        raise CliError(f"cannot read {args.file}: {exc.strerror or exc}") from None
    done(
        f"stored {info.name} in {args.bucket}: {info.size} B in {info.chunks} chunk(s), "
        f"{info.digest}"
    )


def object_get(js: JetStream, args: argparse.Namespace) -> None:
    store = js.object_store(args.bucket)
    meta = store.info(args.name)  # its size, for the progress (0: a link, size unknown)
    shown = args.progress and (meta.size > MIN_BYTES or meta.link is not None)
    progress = Progress(f"getting {args.name}", meta.size or None, enabled=shown)
    if args.output is None:
        with progress:
            store.get_to(args.name, CountingWriter(sys.stdout.buffer, progress))
        sys.stdout.flush()
        return
    partial = f"{args.output}.part"  # the file is replaced only by a whole, checked object
    try:
        with open(partial, "wb") as out, progress:
            info = store.get_to(args.name, CountingWriter(out, progress))
        os.replace(partial, args.output)
    except NatsError:
        raise  # a NetworkError is an OSError too, but not the file's
    except OSError as exc:
        raise CliError(f"cannot write {args.output}: {exc.strerror or exc}") from None
    finally:
        if os.path.exists(partial):
            os.remove(partial)
    done(f"wrote {info.name} from {args.bucket} to {args.output}: {info.size} B")
