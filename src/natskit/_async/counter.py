"""Counters (ADR-49): ``js.counter(stream) -> Counter``.

A stream with ``allow_msg_counter`` keeps a counter per subject: a message
with ``Nats-Incr: +N`` (and no payload) adds N, and the server stores and acks
the new total, as decimal text (``{"val":"12"}``), so values are Python ints of
any size. ``get`` reads the last message of a subject, ``get_many`` the last of
many subjects at once (ADR-31 multi-last Direct Get, which needs
``allow_direct``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from .._io_async import monotonic
from .._jsapi import StreamConfig
from .._jsapi.api import direct_get_error, encode
from .._jsapi.publishing import (
    INCR,
    counter_value,
    increment_text,
    literal_subjects,
    require_server,
)
from .._protocol import check_subject
from ..errors import (
    InvalidArgError,
    JetStreamError,
    MsgNotFoundError,
    StreamNotFoundError,
    TimeoutError,
)
from ..headers import Headers

if TYPE_CHECKING:
    from .jetstream import JetStream
    from .link import Link

# ADR-31: a multi-last Direct Get answers for at most this many subjects.
MULTI_LAST_LIMIT = 1024


async def open_counter(js: JetStream, link: Link, stream: str) -> Counter:
    """The ``Counter`` of ``stream`` (see ``JetStream.counter``)."""
    require_server(link.conn.server_info, "counters")
    try:
        info = await js.stream_info(stream)
    except StreamNotFoundError as exc:
        raise StreamNotFoundError(
            f"counter stream {stream!r} not found",
            status=exc.status,
            err_code=exc.err_code,
            raw=exc.raw,
        ) from None
    if not info.config.allow_msg_counter:
        raise JetStreamError(
            f"stream {stream!r} holds no counters (it was not created with allow_msg_counter=True)"
        )
    return Counter(js, link, info.config)


class Counter:
    """The counters of one stream (``js.counter(stream)``; ADR-49): every
    subject of the stream is a counter, starting at 0."""

    def __init__(self, js: JetStream, link: Link, config: StreamConfig) -> None:
        self._js = js
        self._link = link
        self._config = config
        self.stream = config.name

    async def add(self, subject: str, delta: int = 1) -> int:
        """Add ``delta`` (an ``int`` of any size, negative to subtract, 0 to
        read back) to the counter ``subject``; return its new value."""
        incr = increment_text(delta)
        check_subject(subject)
        ack = await self._js.publish(subject, b"", headers=Headers({INCR: incr}))
        if ack.value is None:
            raise JetStreamError(f"counter {subject!r}: the server's ack carries no value")
        return ack.value

    async def get(self, subject: str) -> int:
        """The value of the counter ``subject``; 0 when it was never set."""
        check_subject(subject)
        try:
            if self._config.allow_direct:
                msg = await self._js.stream_direct_get(self.stream, last_by_subj=subject)
            else:
                msg = await self._js.stream_msg_get(self.stream, last_by_subj=subject)
        except MsgNotFoundError:
            return 0
        return counter_value(msg.data, subject)

    async def get_many(self, subjects_or_pattern: str | Iterable[str]) -> dict[str, int]:
        """The values of the counters matching one subject or pattern, or a list
        of them, in one request (the stream needs ``allow_direct``). Subjects
        given without wildcards are in the result, 0 when never set; patterns
        bring the counters that exist. At most 1024 counters per call."""
        if isinstance(subjects_or_pattern, str):
            subjects = [subjects_or_pattern]
        else:
            subjects = list(subjects_or_pattern)
        if not subjects:
            raise InvalidArgError("subjects_or_pattern is empty")
        for s in subjects:
            check_subject(s, wildcards=True)
        if not self._config.allow_direct:
            raise JetStreamError(
                f"counter stream {self.stream!r}: get_many needs allow_direct=True on the stream"
            )
        values = dict.fromkeys(literal_subjects(subjects), 0)
        values.update(await self._multi_last(subjects))
        return values

    async def _multi_last(self, subjects: list[str]) -> dict[str, int]:
        conn = self._link.conn
        timeout = self._js.timeout
        inbox = conn.new_inbox()
        sub = await conn.subscribe(inbox)
        api = f"{self._js.api_prefix}.DIRECT.GET.{self.stream}"
        req: dict[str, Any] = {"multi_last": subjects}
        out: dict[str, int] = {}
        try:
            while True:
                await self._link.publish(api, encode(req), reply=inbox)
                deadline = monotonic() + timeout
                while True:
                    left = deadline - monotonic()
                    try:
                        msg = await sub.next_msg(timeout=max(left, 0.0))
                    except TimeoutError:
                        raise TimeoutError(
                            f"no answer from the counters of stream {self.stream!r} "
                            f"within {timeout} s (is allow_direct set?)"
                        ) from None
                    if msg.status is None:
                        name = msg.headers.get("Nats-Subject", msg.subject)
                        out[name] = counter_value(msg.data, name)
                        continue
                    break
                if msg.status == 404:
                    return out
                if msg.status == 413:
                    raise InvalidArgError(
                        f"more than {MULTI_LAST_LIMIT} counters match {subjects!r}"
                    )
                if msg.status != 204:
                    raise direct_get_error(msg.status, msg.description, self.stream)
                if int(msg.headers.get("Nats-Num-Pending", "0") or 0) == 0:
                    return out
                # the server stopped at its byte limit: the next page, same snapshot
                req["seq"] = int(msg.headers.get("Nats-Last-Sequence", "0")) + 1
                req["up_to_seq"] = int(msg.headers.get("Nats-UpTo-Sequence", "0"))
        finally:
            await sub.unsubscribe()

    def __repr__(self) -> str:
        return f"<Counter {self.stream}>"
