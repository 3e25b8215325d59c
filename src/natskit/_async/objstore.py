"""``ObjectStore``: objects of any size in a JetStream bucket, in chunks (ADR-20).

``put`` publishes the chunks (acks in flight, bounded by the JetStream
context's window), then the metadata with a rollup, then purges the chunks of
the object it replaced; a failure purges the new chunks instead. ``get``
reads the metadata, follows a link, and reads the chunks with an ordered
consumer, checking their count, size and SHA-256 digest.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, cast

from .._io_async import Future, monotonic, settle, wait_future
from .._jsapi import PubAck, StreamConfig
from .._jsapi.kv import check_bucket
from .._jsapi.obj import (
    CHUNK_SIZE,
    ObjectInfo,
    ObjectLink,
    ObjectStoreStatus,
    bucket_config,
    chunk_subject,
    digest_of,
    header_lists,
    meta_subject,
    new_sha,
    object_status,
    stream_name,
)
from .._protocol import next_nuid
from ..errors import (
    BadSubscriptionError,
    BucketNotFoundError,
    ConnectionClosedError,
    DigestMismatchError,
    InvalidArgError,
    JetStreamError,
    MsgNotFoundError,
    NatsError,
    NoRespondersError,
    ObjectNotFoundError,
    StreamNotFoundError,
)
from .msg import Msg
from .ordered import InitialData, OrderedConsumer
from .subscription import ends_quietly

if TYPE_CHECKING:
    from .jetstream import JetStream

Data = bytes | bytearray | memoryview | str
# (``ObjectStore.list`` hides ``list`` inside the class: these aliases are made outside it)
HeaderValues = str | Sequence[str]  # one value, or several
AckFutures = list[Future[PubAck]]
ROLLUP = {"Nats-Rollup": "sub"}
MAX_LINK_DEPTH = 8  # links to links cannot be made, but a stale ObjectInfo could chain them
log = logging.getLogger("natskit.objstore")


def _not_found(bucket: str) -> BucketNotFoundError:
    return BucketNotFoundError(f"object store {bucket!r} not found", status=404)


def _chunks(data: Any, size: int) -> Iterator[bytes]:
    """The chunks of bytes, str, or a binary file object (anything with ``read``)."""
    if isinstance(data, str):
        data = data.encode()
    if isinstance(data, (bytes, bytearray, memoryview)):
        view = memoryview(data).cast("B")
        for start in range(0, len(view), size):
            yield bytes(view[start : start + size])
        return
    read = getattr(data, "read", None)
    if read is None:
        raise InvalidArgError("put needs bytes, str or a binary file object")
    while True:
        chunk = read(size)
        if not chunk:
            return
        if not isinstance(chunk, (bytes, bytearray, memoryview)):
            raise InvalidArgError(
                "put needs a binary file object whose read() returns bytes (opened with 'rb')"
            )
        yield bytes(chunk)


class ObjectStore:
    """A bound object store bucket (``js.object_store(bucket)``)."""

    def __init__(self, js: JetStream, bucket: str, config: StreamConfig) -> None:
        self._js = js
        self.bucket = bucket
        self.stream = config.name
        self._direct = bool(config.allow_direct)

    # -- reading ------------------------------------------------------------

    async def _meta(self, name: str) -> ObjectInfo | None:
        """The latest metadata of ``name``, deletions included; None if there is none."""
        subject = meta_subject(self.bucket, name)
        get = self._js.stream_direct_get if self._direct else self._js.stream_msg_get
        try:
            msg = await get(self.stream, last_by_subj=subject)
        except MsgNotFoundError:
            return None
        except (StreamNotFoundError, NoRespondersError):
            raise _not_found(self.bucket) from None
        return ObjectInfo.from_json(msg.data, msg.time)

    async def info(self, name: str, *, show_deleted: bool = False) -> ObjectInfo:
        """The metadata of ``name``; ``ObjectNotFoundError`` if there is none (or it
        was deleted, unless ``show_deleted``)."""
        info = await self._meta(name)
        if info is None or (info.deleted and not show_deleted):
            raise ObjectNotFoundError(f"object {name!r} not found in {self.bucket!r}", status=404)
        return info

    async def get(self, name: str) -> bytes:
        """The content of ``name`` (following a link), joined in memory; ``get_to``
        writes a large object to a file chunk by chunk instead."""
        parts: list[bytes] = []
        await self._read(name, parts.append)
        return b"".join(parts)

    async def get_to(self, name: str, file: Any) -> ObjectInfo:
        """Write the content of ``name`` to a binary file object, chunk by chunk;
        return its metadata (that of the target, for a link). In ``natskit.aio``
        a ``write`` that returns an awaitable (an async file) is awaited."""
        return await self._read(name, file.write)

    async def _read(self, name: str, sink: Callable[[bytes], Any], depth: int = 0) -> ObjectInfo:
        info = await self.info(name)
        if info.link is not None:
            if info.link.name is None:
                raise InvalidArgError(f"{name!r} links to the bucket {info.link.bucket!r}")
            if depth >= MAX_LINK_DEPTH:
                raise InvalidArgError(f"{name!r}: more than {MAX_LINK_DEPTH} links in a row")
            target = self
            if info.link.bucket != self.bucket:
                target = await self._js.object_store(info.link.bucket)
            return await target._read(info.link.name, sink, depth + 1)
        if info.size == 0:
            return info  # no chunks to read (nor a digest to check, as nats.go)
        sha = new_sha()
        size = count = 0
        oc = await self._js.ordered_consumer(
            self.stream, None, filter_subject=chunk_subject(self.bucket, info.nuid)
        )
        try:
            while True:  # every chunk stored under the nuid, as many as there are
                msg = await oc.next_msg(self._js.timeout)
                sha.update(msg.data)
                size += len(msg.data)
                count += 1
                await settle(sink(msg.data))
                if msg.metadata.num_pending == 0:
                    break
        finally:
            await oc.close()
        if size != info.size or count != info.chunks or digest_of(sha) != info.digest:
            raise DigestMismatchError(
                f"object {name!r}: read {count} chunks, {size} bytes, {digest_of(sha)}; "
                f"expected {info.chunks}, {info.size}, {info.digest}"
            )
        return info

    async def list(self, *, show_deleted: bool = False) -> list[ObjectInfo]:
        """The metadata of every object, sorted by name (``[]`` for an empty bucket)."""
        watcher = await self.watch(ignore_deletes=not show_deleted)
        try:
            infos = []  # (a lost connection raises here, it does not end the list early)
            while (info := await watcher.next_info(self._js.timeout)) is not None:
                infos.append(info)
        finally:
            await watcher.close()
        return sorted(infos, key=lambda i: i.name)

    async def watch(
        self,
        *,
        include_history: bool = False,
        ignore_deletes: bool = False,
        updates_only: bool = False,
    ) -> ObjectWatcher:
        """Watch the bucket's metadata: the current entry of each object (every one
        stored with ``include_history``, none with ``updates_only``), ``None``
        once, then each change."""
        if include_history and updates_only:
            raise InvalidArgError("include_history and updates_only exclude each other")
        policy = "all" if include_history else "new" if updates_only else "last_per_subject"
        watcher = ObjectWatcher(self, ignore_deletes)
        try:
            watcher._oc = await self._js.ordered_consumer(
                self.stream, None, deliver_policy=policy, filter_subject=f"$O.{self.bucket}.M.>"
            )
        except StreamNotFoundError:
            raise _not_found(self.bucket) from None
        watcher._initial = InitialData(watcher._oc, updates_only)
        return watcher

    async def status(self) -> ObjectStoreStatus:
        """The bucket's status, from its stream info."""
        try:
            return object_status(self.bucket, await self._js.stream_info(self.stream))
        except StreamNotFoundError:
            raise _not_found(self.bucket) from None

    # -- writing ------------------------------------------------------------

    async def put(
        self,
        name: str,
        data: Data | Any,
        *,
        description: str | None = None,
        headers: Mapping[str, HeaderValues] | None = None,
        metadata: dict[str, str] | None = None,
        chunk_size: int = CHUNK_SIZE,
    ) -> ObjectInfo:
        """Store ``data`` (bytes, str or a binary file object) as ``name``,
        replacing any object of that name; return its metadata."""
        subject = meta_subject(self.bucket, name)
        if isinstance(chunk_size, bool) or not isinstance(chunk_size, int) or chunk_size < 1:
            raise InvalidArgError("chunk_size must be a positive integer")
        old = await self._meta(name)
        info = ObjectInfo(
            name,
            self.bucket,
            next_nuid(),
            description=description,
            headers=header_lists(headers),
            metadata=metadata,
            max_chunk_size=chunk_size,
        )
        await self._store(info, _chunks(data, chunk_size), subject)
        if old is not None and old.nuid and old.chunks:
            try:
                await self._purge_chunks(old.nuid)
            except NatsError:
                pass  # stored: the old chunks stay until the bucket's limits remove them
        return info

    async def _store(self, info: ObjectInfo, chunks: Iterator[bytes], subject: str) -> None:
        """Publish the chunks (stopping at the first failed ack), wait for this put's
        acks only, then publish the metadata; on failure purge the new chunks."""
        js = self._js
        chunk_subj = chunk_subject(self.bucket, info.nuid)
        sha = new_sha()
        futures: AckFutures = []
        failed: list[BaseException] = []

        def check(fut: Future[PubAck]) -> None:
            if not fut.cancelled() and fut.exception() is not None:
                failed.append(cast(BaseException, fut.exception()))

        try:
            for chunk in chunks:
                if failed:
                    raise failed[0]
                sha.update(chunk)
                info.size += len(chunk)
                info.chunks += 1
                fut = await js.publish_future(chunk_subj, chunk)
                fut.add_done_callback(check)
                futures.append(fut)
            deadline = monotonic() + js.timeout
            for fut in futures:
                await wait_future(fut, max(deadline - monotonic(), 0.0))
            info.digest = digest_of(sha)
            info.mtime = datetime.now(timezone.utc)
            await js.publish(subject, info.to_json(), headers=ROLLUP)
        except BaseException:
            await self._abandon(info, futures)
            raise

    async def _abandon(self, info: ObjectInfo, futures: AckFutures) -> None:
        """After a failed put: let its chunks' acks settle (bounded), purge the chunks."""
        deadline = monotonic() + self._js.timeout
        for fut in futures:
            try:
                await wait_future(fut, max(deadline - monotonic(), 0.0))
            except Exception:
                pass  # failed or timed out: the purge below removes what was stored
        if info.chunks:
            try:
                await self._purge_chunks(info.nuid)
            except NatsError:
                pass  # the original error matters more

    async def _purge_chunks(self, nuid: str) -> None:
        await self._js.purge_stream(self.stream, filter=chunk_subject(self.bucket, nuid))

    async def delete(self, name: str) -> None:
        """Delete ``name``: its metadata says deleted, its chunks are purged. Deleting
        a deleted object does nothing; ``ObjectNotFoundError`` if there never was one."""
        info = await self.info(name, show_deleted=True)
        if info.deleted:
            return
        nuid, had_chunks = info.nuid, info.chunks
        info.size = info.chunks = 0
        info.digest = ""
        info.deleted = True
        info.mtime = datetime.now(timezone.utc)
        await self._js.publish(meta_subject(self.bucket, name), info.to_json(), headers=ROLLUP)
        if nuid and had_chunks:
            await self._purge_chunks(nuid)

    async def update_meta(
        self,
        name: str,
        *,
        new_name: str | None = None,
        description: str | None = None,
        headers: Mapping[str, HeaderValues] | None = None,
        metadata: dict[str, str] | None = None,
    ) -> ObjectInfo:
        """Change the name, description, headers or metadata of ``name`` (not its
        content); ``InvalidArgError`` when ``new_name`` is taken."""
        info = await self.info(name)
        target = new_name if new_name is not None else name
        if target != name:
            taken = await self._meta(target)
            if taken is not None and not taken.deleted:
                raise InvalidArgError(f"an object named {target!r} exists already")
        info.name = target
        if description is not None:
            info.description = description
        if headers is not None:
            info.headers = header_lists(headers)
        if metadata is not None:
            info.metadata = metadata
        info.mtime = datetime.now(timezone.utc)
        await self._js.publish(meta_subject(self.bucket, target), info.to_json(), headers=ROLLUP)
        if target != name:
            await self._js.purge_stream(self.stream, filter=meta_subject(self.bucket, name))
        return info

    async def add_link(self, name: str, target: ObjectInfo) -> ObjectInfo:
        """Make ``name`` a link to the object ``target`` (not a link, not deleted)."""
        if target.deleted or target.link is not None:
            raise InvalidArgError("a link must point to an object, not a link or a deleted one")
        return await self._link(name, ObjectLink(target.bucket, target.name))

    async def add_bucket_link(self, name: str, bucket: ObjectStore | str) -> ObjectInfo:
        """Make ``name`` a link to a whole bucket."""
        target = bucket.bucket if isinstance(bucket, ObjectStore) else bucket
        check_bucket(target)
        return await self._link(name, ObjectLink(target))

    async def _link(self, name: str, link: ObjectLink) -> ObjectInfo:
        subject = meta_subject(self.bucket, name)
        old = await self._meta(name)
        if old is not None and not old.deleted and old.link is None:
            raise InvalidArgError(f"{name!r} is an object; delete it before linking")
        info = ObjectInfo(
            name, self.bucket, next_nuid(), link=link, mtime=datetime.now(timezone.utc)
        )
        await self._js.publish(subject, info.to_json(), headers=ROLLUP)
        return info

    async def seal(self) -> None:
        """Make the bucket read-only for good."""
        try:
            info = await self._js.stream_info(self.stream)
        except StreamNotFoundError:
            raise _not_found(self.bucket) from None
        info.config.sealed = True
        await self._js.update_stream(info.config)

    def __repr__(self) -> str:
        return f"<ObjectStore {self.bucket!r}>"


class ObjectWatcher:
    """A running watch of a bucket's metadata (``ObjectStore.watch``): iterate it
    (or call ``next_info``) for ``ObjectInfo``, with ``None`` once at the end of
    the initial data; ``close()`` ends it."""

    def __init__(self, store: ObjectStore, ignore_deletes: bool) -> None:
        self._store = store
        self._ignore_deletes = ignore_deletes
        self._oc: OrderedConsumer | None = None
        self._initial: InitialData | None = None

    async def next_info(self, timeout: float | None = None) -> ObjectInfo | None:
        """The next metadata, or ``None`` at the end of the initial data;
        ``TimeoutError`` after ``timeout`` s, ``BadSubscriptionError`` once closed."""
        assert self._oc is not None and self._initial is not None
        while True:
            if self._initial.take_marker():
                return None
            try:
                msg: Msg = await self._oc.next_msg(timeout)
            except StreamNotFoundError:
                raise _not_found(self._store.bucket) from None
            meta = msg.metadata
            self._initial.seen(meta.num_pending)
            try:
                info = ObjectInfo.from_json(msg.data, meta.timestamp)
            except JetStreamError as exc:  # skipped, as nats.go does
                log.warning("skipping bad metadata on %s: %s", msg.subject, exc)
                continue
            if not (self._ignore_deletes and info.deleted):
                return info

    def __aiter__(self) -> ObjectWatcher:
        return self

    async def __anext__(self) -> ObjectInfo | None:
        try:
            return await self.next_info()
        except (BadSubscriptionError, ConnectionClosedError) as exc:
            if ends_quietly(exc):
                raise StopAsyncIteration from None
            raise

    async def close(self) -> None:
        """Stop watching; iteration ends and ``next_info`` raises ``BadSubscriptionError``."""
        if self._oc is not None:
            await self._oc.close()

    async def __aenter__(self) -> ObjectWatcher:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()


class ObjectStoreManager:
    """The object store bucket methods of ``JetStream`` (a mixin).

    Bucket options: ``description``, ``ttl`` (seconds), ``max_bytes``,
    ``storage`` (``"file"``, ``"memory"``), ``num_replicas``, ``compression``
    (True/False or ``"s2"``/``"none"``), ``placement``, ``metadata``.
    """

    @property
    def _js(self) -> JetStream:
        return cast("JetStream", self)

    async def object_store(self, bucket: str) -> ObjectStore:
        """Bind to an existing bucket; ``BucketNotFoundError`` if there is none."""
        check_bucket(bucket)
        try:
            info = await self._js.stream_info(stream_name(bucket))
        except StreamNotFoundError:
            raise _not_found(bucket) from None
        return ObjectStore(self._js, bucket, info.config)

    async def create_object_store(self, bucket: str, **options: Any) -> ObjectStore:
        """Create the bucket ``bucket`` (the stream ``OBJ_<bucket>``) and return it;
        an identical one is reused.

        Options: ``description``, ``ttl`` (seconds an object lives; default
        forever), ``max_bytes`` (the bucket's size limit), ``storage``
        (``"file"``, the default, or ``"memory"``), ``num_replicas``,
        ``compression`` (True or ``"s2"``), ``placement``, ``metadata`` (a
        ``dict[str, str]``). An unknown option is an ``InvalidArgError``.
        """
        info = await self._js.add_stream(bucket_config(bucket, options))
        return ObjectStore(self._js, bucket, info.config)

    async def delete_object_store(self, bucket: str) -> None:
        """Delete a bucket and every object in it."""
        check_bucket(bucket)
        try:
            await self._js.delete_stream(stream_name(bucket))
        except StreamNotFoundError:
            raise _not_found(bucket) from None

    async def object_store_names(self) -> list[str]:
        """The names of all object store buckets (streams ``OBJ_<bucket>``), sorted."""
        return sorted(n[4:] for n in await self._js.stream_names() if n.startswith("OBJ_"))
