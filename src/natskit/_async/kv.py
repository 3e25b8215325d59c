"""``KeyValue``: one bucket of the Key-Value store (ADR-8, ADR-48) on JetStream.

Writes are JetStream publishes to ``$KV.<bucket>.<key>`` (through the API
prefix of another domain or account, ADR-19); reads are Direct Gets when the
bucket allows them, else stream message gets; history, keys and watches use
an ordered consumer (``KVWatcher``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterable, MutableMapping
from typing import TYPE_CHECKING, Any

from .._io_async import check_callback
from .._jsapi.config import StreamConfig
from .._jsapi.kv import (
    Entry,
    KVStatus,
    check_key,
    key_prefixes,
    kv_status,
    stored_entry,
    ttl_header,
)
from ..errors import (
    BucketNotFoundError,
    InvalidArgError,
    JetStreamError,
    KeyNotFoundError,
    MsgNotFoundError,
    NoRespondersError,
    StreamNotFoundError,
    TimeoutError,
    WrongLastSequenceError,
)
from .kvread import either_keys, get_many, iter_keys, key_list, older_than_limit, purge_deletes
from .kvwatch import KVWatcher

if TYPE_CHECKING:
    from .jetstream import JetStream

Payload = bytes | bytearray | memoryview | str


def _check_revision(revision: int, lowest: int = 1) -> None:
    if isinstance(revision, bool) or not isinstance(revision, int) or revision < lowest:
        raise InvalidArgError(f"a revision must be an integer >= {lowest}, not {revision!r}")


class KeyValue:
    """A Key-Value bucket: from ``js.key_value(bucket)`` or ``js.create_key_value(...)``.

    Keys are checked per ADR-8 (``InvalidArgError``). Every request uses the
    JetStream's ``timeout``. Once the bucket is deleted, every method raises
    ``BucketNotFoundError``; so do writes to a read-only aggregate.
    """

    def __init__(self, js: JetStream, bucket: str, config: StreamConfig) -> None:
        self._js = js
        self.bucket = bucket
        self.stream = config.name
        self._direct = bool(config.allow_direct)
        self._read, self._write = key_prefixes(bucket, config, js.api_prefix)

    def _not_found(self) -> BucketNotFoundError:
        return BucketNotFoundError(f"bucket {self.bucket!r} not found", status=404)

    # -- reading ------------------------------------------------------------

    async def _load(self, key: str, revision: int | None) -> Entry:
        """The latest (or ``revision``) entry of ``key``, deletions included."""
        check_key(key)
        subject = f"{self._read}.{key}"
        get = self._js.stream_direct_get if self._direct else self._js.stream_msg_get
        try:
            if revision is None:
                msg = await get(self.stream, last_by_subj=subject)
            else:
                _check_revision(revision)
                msg = await get(self.stream, seq=revision)
        except MsgNotFoundError:
            msg = None
        except (StreamNotFoundError, NoRespondersError):
            raise self._not_found() from None
        if msg is None or msg.subject != subject:
            at = "" if revision is None else f" at revision {revision}"
            raise KeyNotFoundError(
                f"key {key!r} not found in bucket {self.bucket!r}{at}", status=404
            )
        return stored_entry(self.bucket, key, msg)

    async def get(self, key: str, revision: int | None = None) -> Entry:
        """The latest entry of ``key``, or the one at ``revision``.

        ``KeyNotFoundError`` when the key does not exist, was deleted or purged,
        or ``revision`` is not a value of this key.
        """
        entry = await self._load(key, revision)
        if entry.operation != "PUT":
            raise KeyNotFoundError(
                f"key {key!r} in bucket {self.bucket!r} was deleted ({entry.operation} at "
                f"revision {entry.revision})",
                status=404,
            )
        return entry

    async def get_value(self, key: str, revision: int | None = None) -> bytes:
        """``get(key, revision).value``."""
        return (await self.get(key, revision)).value

    async def status(self) -> KVStatus:
        """The bucket's status, from its stream info."""
        try:
            info = await self._js.stream_info(self.stream)
        except StreamNotFoundError:
            raise self._not_found() from None
        return kv_status(self.bucket, info)

    async def history(self, key: str) -> list[Entry]:
        """Every stored entry of ``key`` (a key or a pattern such as ``>``), oldest first.

        ``KeyNotFoundError`` when there is none.
        """
        entries = await self._gather(key, include_history=True)
        if not entries:
            raise KeyNotFoundError(f"no entries for {key!r} in bucket {self.bucket!r}", status=404)
        return entries

    async def keys(
        self, pattern: str | Iterable[str] = ">", *, keys: str | Iterable[str] | None = None
    ) -> list[str]:
        """The keys that have a value, in the order of their last revision;
        ``pattern`` (or ``keys=``) is a key or pattern, or a list of them (one
        server-side filter)."""
        chosen = either_keys(pattern, keys, "pattern")
        return [e.key for e in await self._gather(chosen, ignore_deletes=True, meta_only=True)]

    async def iter_keys(self, keys: str | Iterable[str] = ">") -> AsyncIterator[str]:
        """Yield the keys that have a value as they arrive, for a bucket of any
        size (none is held); ``keys`` as in ``keys()``."""
        watcher = await self.watch(keys, ignore_deletes=True, meta_only=True)
        async for key in iter_keys(watcher, self._js.timeout):  # noqa: UP028, RUF100 (the blocking twin)
            yield key

    async def get_many(self, keys: str | Iterable[str]) -> dict[str, Entry]:
        """The latest entry of each of ``keys`` (keys or patterns), by key, in one
        batched direct get (ADR-31, server 2.11+; up to 1024 keys); keys that do
        not exist or were deleted are left out."""
        if not self._direct:
            raise JetStreamError(f"get_many needs allow_direct on bucket {self.bucket!r}")
        return await get_many(self._js, self.bucket, self.stream, self._read, keys)

    async def purge_deletes(self, older_than: float | None = None) -> int:
        """Remove the delete and purge markers of deleted keys (ADR-8) and return
        how many keys are gone for good. Markers younger than ``older_than``
        seconds (default 30 minutes, as nats.go; 0: none) stay, with the history
        before them removed, so that watchers still get recent deletions."""
        limit = older_than_limit(older_than)
        watcher = await self.watch(">", meta_only=True)
        return await purge_deletes(self._js, self.stream, self._read, watcher, limit)

    async def _gather(self, pattern: str | Iterable[str], **options: Any) -> list[Entry]:
        """The initial data of a watch of ``pattern``; ``TimeoutError`` if it stalls."""
        watcher = await self.watch(pattern, **options)
        entries: list[Entry] = []
        try:
            while (entry := await watcher.next_entry(self._js.timeout)) is not None:
                entries.append(entry)
        except TimeoutError:
            raise TimeoutError(
                f"timed out reading {pattern!r} in bucket {self.bucket!r} "
                f"({len(entries)} entries so far)"
            ) from None
        finally:
            await watcher.close()
        return entries

    # -- writing ------------------------------------------------------------

    async def _publish(
        self,
        key: str,
        value: Payload = b"",
        *,
        revision: int | None = None,
        headers: dict[str, str] | None = None,
    ) -> int:
        check_key(key)
        if revision is not None:
            _check_revision(revision, 0)
        subject = f"{self._write}.{key}"
        try:
            ack = await self._js.publish(
                subject, value, headers=headers, expected_last_subject_seq=revision
            )
        except NoRespondersError:
            raise BucketNotFoundError(
                f"bucket {self.bucket!r} not found or read-only (no stream stores {subject!r})",
                status=503,
            ) from None
        except WrongLastSequenceError as exc:  # name the key, not the subject
            exc.args = (
                f"key {key!r} of bucket {self.bucket!r} is not at revision {revision} "
                f"({exc.description})",
            )
            raise
        return ack.seq

    async def put(self, key: str, value: Payload, *, ttl: float | None = None) -> int:
        """Store ``value`` under ``key``; return its revision.

        ``ttl`` (seconds, ADR-43/48: a bucket with ``limit_marker_ttl``) makes the
        server remove this value after that time; an older revision kept by the
        bucket's history is then the latest again.
        """
        headers = None if ttl is None else {"Nats-TTL": ttl_header(ttl)}
        return await self._publish(key, value, headers=headers)

    async def create(self, key: str, value: Payload, *, ttl: float | None = None) -> int:
        """``put`` only if ``key`` has no value (never had one, or was deleted or purged).

        ``WrongLastSequenceError`` when the key exists. ``ttl`` (seconds) makes
        the server remove this value after that time (ADR-48: a bucket with
        ``limit_marker_ttl``).
        """
        headers = None if ttl is None else {"Nats-TTL": ttl_header(ttl)}
        try:
            return await self._publish(key, value, revision=0, headers=headers)
        except WrongLastSequenceError as exc:
            error = exc
        try:
            latest = await self._load(key, None)
        except KeyNotFoundError:
            raise error from None
        if latest.operation == "PUT":
            raise WrongLastSequenceError(
                f"key {key!r} already exists in bucket {self.bucket!r} (revision "
                f"{latest.revision})",
                status=error.status,
                err_code=error.err_code,
                raw=error.raw,
            )
        return await self._publish(key, value, revision=latest.revision, headers=headers)

    async def update(self, key: str, value: Payload, revision: int) -> int:
        """``put`` only if the latest revision of ``key`` is ``revision``.

        ``WrongLastSequenceError`` when it is not.
        """
        return await self._publish(key, value, revision=revision)

    async def delete(self, key: str, revision: int | None = None) -> None:
        """Delete ``key``, keeping its history; with ``revision``, only if that is the
        latest (``WrongLastSequenceError`` otherwise)."""
        await self._publish(key, revision=revision, headers={"KV-Operation": "DEL"})

    async def purge(self, key: str, *, ttl: float | None = None) -> None:
        """Delete ``key`` and its history; ``ttl`` (ADR-48) lets the server remove the
        purge marker itself after that many seconds."""
        headers = {"KV-Operation": "PURGE", "Nats-Rollup": "sub"}
        if ttl is not None:
            headers["Nats-TTL"] = ttl_header(ttl)
        await self._publish(key, headers=headers)

    async def revert(self, key: str, revision: int) -> int:
        """Put the value of ``key`` at ``revision`` again; return the new revision."""
        return await self.put(key, (await self.get(key, revision)).value)

    # -- watching -----------------------------------------------------------

    async def watch(
        self,
        key: str | Iterable[str] = ">",
        *,
        keys: str | Iterable[str] | None = None,
        callback: Callable[[Entry | None], Any] | None = None,
        values: MutableMapping[str, bytes] | None = None,
        include_history: bool = False,
        meta_only: bool = False,
        ignore_deletes: bool = False,
        updates_only: bool = False,
        idle_heartbeat: float = 5.0,
        resume_from_revision: int | None = None,
    ) -> KVWatcher:
        """Watch ``key`` (or ``keys=``: a key or a pattern such as ``>``, or a list
        of them: one server-side filter); return the ``KVWatcher``.

        Without ``callback`` or ``values``, iterate the watcher or call its
        ``next_entry``; with either, it feeds them from a task of its own (a
        thread in the blocking API), entry by entry, until ``close()``.

        First the current entry of each matching key (every stored entry
        with ``include_history``; none with ``updates_only``), then ``None``
        once, then each change as it happens. ``values`` (any mutable mapping) is
        kept equal to the watched keys and their values, deleted keys removed
        unless ``ignore_deletes``. ``meta_only`` leaves values empty;
        ``ignore_deletes`` skips ``DEL`` and ``PURGE`` entries.
        ``resume_from_revision`` starts at that revision instead: every entry
        from it on (history included), as after a watcher that saw the ones before.
        """
        filters = [f"{self._read}.{k}" for k in key_list(either_keys(key, keys, "key"))]
        check_callback(callback, "callback")
        if include_history and updates_only:
            raise InvalidArgError("include_history and updates_only exclude each other")
        policy = "all" if include_history else "new" if updates_only else "last_per_subject"
        start: dict[str, Any] = {}
        if resume_from_revision is not None:
            rev = resume_from_revision
            if isinstance(rev, bool) or not isinstance(rev, int) or rev < 1:
                raise InvalidArgError(f"resume_from_revision must be an integer >= 1, not {rev!r}")
            if updates_only:
                raise InvalidArgError("resume_from_revision and updates_only exclude each other")
            policy, start["opt_start_seq"] = "by_start_sequence", resume_from_revision
        if len(filters) == 1:
            start["filter_subject"] = filters[0]
        else:
            start["filter_subjects"] = filters
        return await KVWatcher.start(
            self._js,
            self.stream,
            (self.bucket, self._read, callback, values, ignore_deletes),
            updates_only,
            deliver_policy=policy,
            headers_only=meta_only,
            idle_heartbeat=idle_heartbeat,
            **start,
        )

    def __repr__(self) -> str:
        return f"<KeyValue {self.bucket!r} stream={self.stream!r}>"
