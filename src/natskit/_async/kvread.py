"""Key-Value reads of many keys (ADR-8 rev 13): ``get_many`` (one multi-last
direct get), ``iter_keys`` (keys streamed from a watcher, any bucket size) and
``purge_deletes`` (the delete and purge markers removed)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING

from .._jsapi.kv import Entry, check_key, stored_entry
from ..errors import (
    BucketNotFoundError,
    InvalidArgError,
    NoRespondersError,
    StreamNotFoundError,
    TimeoutError,
)

if TYPE_CHECKING:
    from .jetstream import JetStream
    from .kvwatch import KVWatcher

# purge_deletes keeps markers younger than this by default (as nats.go).
PURGE_DELETES_OLDER_THAN = 30 * 60.0


def key_list(keys: str | Iterable[str], *, pattern: bool = True) -> list[str]:
    """One key (or pattern) or several, checked, as a non-empty list."""
    listed = [keys] if isinstance(keys, str) else list(keys)
    if not listed:
        raise InvalidArgError("keys must name at least one key or pattern")
    for key in listed:
        check_key(key, pattern=pattern)
    return listed


def either_keys(
    given: str | Iterable[str], keys: str | Iterable[str] | None, name: str
) -> str | Iterable[str]:
    """The keys of a call that takes them as ``name`` (the first parameter) or as
    ``keys=`` (as nats.go names them): ``keys`` when given, not both."""
    if keys is None:
        return given
    if not (isinstance(given, str) and given == ">"):
        raise InvalidArgError(f"give the keys as {name} or as keys=, not both")
    return keys


async def get_many(
    js: JetStream, bucket: str, stream: str, read: str, keys: str | Iterable[str]
) -> dict[str, Entry]:
    """``KeyValue.get_many``: the keys under ``read`` (the bucket's subject prefix)."""
    subjects = [f"{read}.{key}" for key in key_list(keys)]
    try:
        msgs = await js.stream_direct_get_last(stream, subjects)
    except (StreamNotFoundError, NoRespondersError):
        raise BucketNotFoundError(f"bucket {bucket!r} not found", status=404) from None
    entries = (stored_entry(bucket, s[len(read) + 1 :], m) for s, m in msgs.items())
    return {e.key: e for e in entries if e.operation == "PUT"}


async def iter_keys(watcher: KVWatcher, timeout: float) -> AsyncIterator[str]:
    """``KeyValue.iter_keys``: the keys of the initial data of ``watcher``
    (started with ``ignore_deletes`` and ``meta_only``), which is closed at the end."""
    try:
        while True:
            try:
                entry = await watcher.next_entry(timeout)
            except TimeoutError:
                raise TimeoutError(
                    f"timed out listing the keys of bucket {watcher.bucket!r}"
                ) from None
            if entry is None:
                return
            yield entry.key
    finally:
        await watcher.close()


def older_than_limit(older_than: float | None) -> datetime | None:
    """The time before which ``purge_deletes`` removes markers (None: all)."""
    if older_than is None:
        older_than = PURGE_DELETES_OLDER_THAN
    if isinstance(older_than, bool) or not isinstance(older_than, (int, float)) or older_than < 0:
        raise InvalidArgError(f"older_than must be seconds >= 0 or None, not {older_than!r}")
    return datetime.now(timezone.utc) - timedelta(seconds=older_than) if older_than else None


async def purge_deletes(
    js: JetStream, stream: str, read: str, watcher: KVWatcher, limit: datetime | None
) -> int:
    """``KeyValue.purge_deletes``: of the latest entries ``watcher`` (of every key,
    ``meta_only``) starts with, remove the DEL and PURGE markers older than
    ``limit`` and the history before younger ones; only the markers are held."""
    markers: list[Entry] = []
    try:
        while (entry := await watcher.next_entry(js.timeout)) is not None:
            if entry.operation != "PUT":
                markers.append(entry)
    except TimeoutError:
        raise TimeoutError(f"timed out reading the markers of stream {stream!r}") from None
    finally:
        await watcher.close()  # before purging: nothing to follow meanwhile
    removed = 0
    for entry in markers:
        young = limit is not None and entry.created is not None and entry.created > limit
        await js.purge_stream(stream, filter=f"{read}.{entry.key}", keep=1 if young else None)
        removed += not young
    return removed
