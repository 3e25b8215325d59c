"""Atomic batch publishing (ADR-50): ``js.batch()`` and ``js.publish_batch()``.

Every message of a batch carries ``Nats-Batch-Id`` and ``Nats-Batch-Sequence``;
the last one also ``Nats-Batch-Commit: 1``, and the server stores the whole
batch or none of it. ``Batch`` keeps the message added last unsent, so that
``commit()`` can send it as the commit (this works with every server that has
batches, 2.12 on). The first message is a request, so a stream that does not
allow batches says so at once; the others go out without waiting. A batch left
without a commit is abandoned: a message that skips a sequence makes the server
drop it at once (rather than after its 10 s timeout).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from .._jsapi import PubAck
from .._jsapi.api import error_from, parse_reply, publish_headers
from .._jsapi.levels import BATCH_LEVEL, REQUIRED_LEVEL
from .._jsapi.publishing import (
    BATCH_COMMIT,
    BATCH_ID,
    BATCH_SEQ,
    batch_limit_of,
    check_batch_size,
    error_reply,
    require_server,
)
from .._protocol import check_subject, next_nuid
from ..errors import BatchError, InvalidArgError, JetStreamError, NoRespondersError
from ..headers import Headers
from ..msg import HeadersArg, MsgBase, headers_of

if TYPE_CHECKING:
    from .jetstream import JetStream
    from .link import Link

Payload = bytes | bytearray | memoryview | str

# What ``add`` takes as ``**expect`` (the arguments of ``js.publish``).
EXPECT = frozenset(
    {
        "stream",
        "msg_id",
        "expected_last_seq",
        "expected_last_subject_seq",
        "expected_last_subject_seq_subject",
        "ttl",
    }
)

_Item = tuple[str, Payload, Headers]


def _check_payload(payload: Any) -> None:
    if not isinstance(payload, (bytes, bytearray, memoryview, str)):
        raise InvalidArgError(f"payload must be bytes or str, not {type(payload).__name__}")


def batch_error(err: dict[str, Any], raw: Any, about: str) -> BatchError:
    """The ``BatchError`` for an error reply to a batch message."""
    plain = error_from(err, raw, about)
    exc = BatchError(plain.description, status=plain.status, err_code=plain.err_code, raw=raw)
    exc.args = plain.args
    return exc


class Batch:
    """An atomic batch being built (``js.batch()``; ADR-50).

    ``add`` messages, then ``commit()``: the server stores them all or none.
    A context manager (``with`` / ``async with``): leaving the block without
    ``commit()`` abandons the batch, and nothing of it is stored.
    """

    def __init__(self, js: JetStream, link: Link, timeout: float | None = None) -> None:
        require_server(link.conn.server_info, "atomic batch publish")
        self._js = js
        self._link = link
        self._timeout = js.timeout if timeout is None else timeout
        self.batch_id = next_nuid()
        self._count = 0  # messages added
        self._held: _Item | None = None  # the last one added, not yet sent
        self._closed = False

    @property
    def size(self) -> int:
        """The number of messages added so far."""
        return self._count

    @property
    def closed(self) -> bool:
        """True once committed or abandoned (``add`` and ``commit`` then refuse)."""
        return self._closed

    async def add(
        self,
        subject: str,
        payload: Payload = b"",
        *,
        headers: HeadersArg = None,
        **expect: Any,
    ) -> None:
        """Add a message; ``expect`` takes ``stream``, ``msg_id``,
        ``expected_last_seq`` (first message only), ``expected_last_subject_seq``
        (with ``expected_last_subject_seq_subject``) and ``ttl``, as ``publish``.
        ``InvalidArgError`` beyond ``js.max_batch_size`` messages (the server's
        limit, 1000 unless it is configured otherwise)."""
        self._check_open()
        item = self._item(subject, payload, headers, expect, first=self._count == 0)
        check_batch_size(self._count + 1, self._js.max_batch_size)
        self._count += 1
        item[2].set(BATCH_ID, self.batch_id)
        item[2].set(BATCH_SEQ, str(self._count))
        if self._count == 1:  # ADR-50: a server below the batch's API level refuses it
            item[2].set(REQUIRED_LEVEL, str(BATCH_LEVEL))
        held, self._held = self._held, item
        if held is not None:
            try:
                await self._send(held, self._count - 1)
            except BaseException:
                self._closed = True
                self._held = None
                raise

    async def commit(self) -> PubAck:
        """Send the last message as the commit and return the server's ``PubAck``
        (``batch_id``, ``batch_size``); ``BatchError`` with the server's reason if
        the batch was refused, and then nothing of it was stored."""
        self._check_open()
        held, self._held = self._held, None
        if held is None:
            raise InvalidArgError("an empty batch cannot be committed")
        self._closed = True
        subject, payload, headers = held
        headers.set(BATCH_COMMIT, "1")
        reply = await self._request(subject, payload, headers)
        err = error_reply(reply)
        if err is not None:
            limit = batch_limit_of(str(err.get("description", "")))
            if err.get("err_code") == 10199 and limit:
                self._js.max_batch_size = limit  # learnt: refused before sending next time
            raise batch_error(err, reply, f"batch {self.batch_id} to {subject!r}")
        try:
            ack = PubAck.from_json(parse_reply(reply))
        except JetStreamError as exc:
            raise BatchError(f"batch {self.batch_id}: {exc}") from None
        if ack.batch_id != self.batch_id or ack.batch_size != self._count:
            raise BatchError(
                f"batch {self.batch_id}: the server acknowledged batch {ack.batch_id!r} "
                f"of {ack.batch_size} messages, {self._count} were sent"
            )
        return ack

    async def abandon(self) -> None:
        """Give the batch up: nothing of it is stored (also on leaving the
        ``with`` block without ``commit()``)."""
        if self._closed:
            return
        self._closed = True
        held, self._held = self._held, None
        if held is not None and self._count > 1:  # the server holds messages: drop them now
            gap = Headers({BATCH_ID: self.batch_id, BATCH_SEQ: str(self._count + 1)})
            await self._link.publish(held[0], b"", headers=gap)

    async def __aenter__(self) -> Batch:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.abandon()

    def _check_open(self) -> None:
        if self._closed:
            raise InvalidArgError(f"batch {self.batch_id} was already committed or abandoned")

    def _item(
        self,
        subject: str,
        payload: Payload,
        headers: HeadersArg,
        expect: dict[str, Any],
        *,
        first: bool,
    ) -> _Item:
        unknown = sorted(set(expect) - EXPECT)
        if "expected_last_msg_id" in unknown:
            raise InvalidArgError("expected_last_msg_id is not supported in an atomic batch")
        if unknown:
            raise InvalidArgError(f"unknown batch message option(s): {', '.join(unknown)}")
        if not first and expect.get("expected_last_seq") is not None:
            raise InvalidArgError("expected_last_seq is only allowed on a batch's first message")
        check_subject(subject)
        _check_payload(payload)
        hdrs = publish_headers(
            headers,
            stream=expect.get("stream"),
            msg_id=expect.get("msg_id"),
            expected_last_seq=expect.get("expected_last_seq"),
            expected_last_subject_seq=expect.get("expected_last_subject_seq"),
            expected_last_msg_id=None,
            ttl=expect.get("ttl"),
            expected_last_subject_seq_subject=expect.get("expected_last_subject_seq_subject"),
        )
        return subject, payload, Headers(hdrs) if hdrs else Headers()

    async def _send(self, item: _Item, seq: int) -> None:
        subject, payload, headers = item
        if seq != 1:
            await self._link.publish(subject, payload, headers=headers)
            return
        reply = await self._request(subject, payload, headers)  # the server says yes or no
        err = error_reply(reply)
        if err is not None:
            raise batch_error(err, reply, f"batch {self.batch_id} to {subject!r}")

    async def _request(self, subject: str, payload: Payload, headers: Headers) -> bytes:
        try:
            msg = await self._link.conn.request(
                subject, payload, headers=headers, timeout=self._timeout
            )
        except NoRespondersError:
            raise NoRespondersError(f"no stream stores {subject!r} (no responders)") from None
        return bytes(msg.data)

    def __repr__(self) -> str:
        state = "closed" if self._closed else "open"
        return f"<Batch {self.batch_id} {self._count} messages, {state}>"


def batch_items(messages: Iterable[MsgBase | tuple[str, Payload]]) -> list[_Item]:
    """The messages of ``publish_batch``, each checked, before anything is sent."""
    items: list[_Item] = []
    for m in messages:
        payload: Payload
        if isinstance(m, MsgBase):
            subject, payload, headers = m.subject, m.data, headers_of(m)
        elif isinstance(m, tuple) and len(m) == 2:
            (subject, payload), headers = m, None
        else:
            raise InvalidArgError(
                f"a batch message is a Msg or a (subject, payload) pair, not {m!r:.60}"
            )
        check_subject(subject)
        _check_payload(payload)
        items.append((subject, payload, Headers(headers) if headers else Headers()))
    if not items:
        raise InvalidArgError("an atomic batch needs at least one message")
    return items


async def publish_batch(
    js: JetStream,
    link: Link,
    messages: Iterable[MsgBase | tuple[str, Payload]],
    timeout: float | None,
) -> PubAck:
    """Publish ``messages`` as one atomic batch (see ``JetStream.publish_batch``)."""
    items = batch_items(messages)
    check_batch_size(len(items), js.max_batch_size)
    batch = Batch(js, link, timeout)
    try:
        for subject, payload, headers in items:
            await batch.add(subject, payload, headers=headers)
        return await batch.commit()
    finally:
        await batch.abandon()
