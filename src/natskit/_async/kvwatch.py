"""``KVWatcher``: a Key-Value watch (ADR-8) on an ordered consumer.

The consumer starts at the last entry of each matching key (all entries with
``include_history``, none with ``updates_only``). The initial data ends with
the first entry that the server reports nothing pending after, or once as
many entries came as were pending when the consumer was created; the watcher
then hands out ``None`` once, before any later entry.

With a callback or a ``values`` mapping the watcher runs its own task (a
thread in the blocking API) that feeds them, so callbacks see entries in
order and the mapping stays current while the user's code does other work.
Without either, the watcher is iterated.
"""

from __future__ import annotations

from collections.abc import Callable, MutableMapping
from typing import TYPE_CHECKING, Any

from .._io_async import Task, call_cb, spawn
from .._jsapi.kv import Entry, delivered_entry
from ..errors import (
    BadSubscriptionError,
    BucketNotFoundError,
    ConnectionClosedError,
    NatsError,
    StreamNotFoundError,
)
from .ordered import InitialData, OrderedConsumer
from .subscription import ends_quietly

if TYPE_CHECKING:
    from .jetstream import JetStream


class KVWatcher:
    """A running watch of keys (``KeyValue.watch``); ``close()`` ends it.

    Without a callback or ``values``, iterate it (or call ``next_entry``):
    entries, with ``None`` once at the end of the initial data. ``consumer``
    is the ordered consumer underneath; its ``last_error`` says why a watch
    stopped (the bucket was deleted, the connection closed).
    """

    def __init__(
        self,
        bucket: str,
        prefix: str,
        callback: Callable[[Entry | None], Any] | None,
        values: MutableMapping[str, bytes] | None,
        ignore_deletes: bool,
    ) -> None:
        self.bucket = bucket
        self._prefix = prefix
        self._callback = callback
        self._values = values
        self._ignore_deletes = ignore_deletes
        self._oc: OrderedConsumer | None = None
        self._task: Task | None = None
        self._initial: InitialData | None = None
        self._closed = False

    @property
    def consumer(self) -> OrderedConsumer:
        """The ordered consumer that delivers the entries."""
        assert self._oc is not None
        return self._oc

    @classmethod
    async def start(
        cls,
        js: JetStream,
        stream: str,
        watcher: tuple[str, str, Callable[[Entry | None], Any] | None, Any, bool],
        updates_only: bool,
        **options: Any,
    ) -> KVWatcher:
        """A running watcher: ``watcher`` holds the arguments of ``KVWatcher()``,
        ``options`` those of ``ordered_consumer`` (``KeyValue.watch``)."""
        self = cls(*watcher)
        await self._start(js, stream, updates_only, **options)
        return self

    async def _start(self, js: JetStream, stream: str, updates_only: bool, **options: Any) -> None:
        try:
            self._oc = await js.ordered_consumer(stream, None, **options)
        except StreamNotFoundError:
            raise BucketNotFoundError(f"bucket {self.bucket!r} not found") from None
        self._initial = InitialData(self._oc, updates_only)
        if self._callback is not None or self._values is not None:
            self._task = spawn(self._run, name="natskit-kv-watcher")

    async def _next(self, timeout: float | None) -> Entry | None:
        """The next entry to hand out, or ``None`` for the end of the initial data."""
        assert self._initial is not None
        if self._initial.take_marker():
            return None
        while True:
            try:
                msg = await self.consumer.next_msg(timeout)
            except StreamNotFoundError:
                raise BucketNotFoundError(f"bucket {self.bucket!r} was deleted") from None
            entry = delivered_entry(self.bucket, self._prefix, msg)
            self._initial.seen(entry.delta)
            if not self._ignore_deletes or entry.operation == "PUT":
                return entry
            if self._initial.take_marker():
                return None

    async def _run(self) -> None:
        """Feed the callback and the mapping until closed or stopped."""
        while not self._closed:
            try:
                entry = await self._next(None)
            except NatsError:  # closed, bucket deleted, connection closed: see consumer
                return
            if self._closed:
                return
            if entry is not None and self._values is not None:
                if entry.operation == "PUT":
                    self._values[entry.key] = entry.value
                else:
                    self._values.pop(entry.key, None)
            if self._callback is not None:
                try:
                    await call_cb(self._callback, entry)
                except Exception as exc:
                    what = f"the watch callback of bucket {self.bucket!r}"
                    self.consumer.report_callback_error(exc, what, entry.key if entry else "")

    async def next_entry(self, timeout: float | None = None) -> Entry | None:
        """The next entry, or ``None`` at the end of the initial data.

        ``TimeoutError`` after ``timeout`` s; ``BadSubscriptionError`` once
        closed, ``BucketNotFoundError`` when the bucket was deleted.
        """
        if self._task is not None:
            raise BadSubscriptionError("this watcher feeds its callback or values mapping")
        return await self._next(timeout)

    def __aiter__(self) -> KVWatcher:
        if self._task is not None:
            raise BadSubscriptionError("this watcher feeds its callback or values mapping")
        return self

    async def __anext__(self) -> Entry | None:
        try:
            return await self._next(None)
        except (BadSubscriptionError, ConnectionClosedError) as exc:
            if ends_quietly(exc):
                raise StopAsyncIteration from None
            raise

    async def close(self) -> None:
        """Stop watching; the callback gets nothing more once this returns."""
        self._closed = True
        await self.consumer.close()
        if self._task is not None:
            await self._task.join()

    async def __aenter__(self) -> KVWatcher:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    def __repr__(self) -> str:
        return f"<KVWatcher bucket={self.bucket!r}>"
