"""Direct Gets in batches (ADR-31 rev 2): ``stream_direct_get_batch``,
``iter_stream_direct_get`` and the multi-last ``stream_direct_get_last``.

One request to ``DIRECT.GET.<stream>`` with a private inbox as its reply
subject; the server sends the batch there and ends it with a ``204 EOB``
status (see ``_jsapi.directget``). Iteration and multi-last reads follow the
EOB's ``Nats-Num-Pending`` with another request after ``Nats-Last-Sequence``
until nothing is pending, so only one batch is held at a time.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from .._io_async import check_blocking_allowed, monotonic
from .._jsapi.api import encode
from .._jsapi.directget import (
    EndOfBatch,
    batch_status_error,
    check_batched,
    end_of_batch,
    is_end_of_batch,
    next_batch,
)
from .._protocol import check_name
from ..errors import NoRespondersError, TimeoutError
from .msg import Msg
from .subscription import unsubscribe_quietly

if TYPE_CHECKING:
    from .jetstream import JetStream

log = logging.getLogger("natskit.jetstream")


async def get_batch(
    js: JetStream, stream: str, req: dict[str, Any]
) -> tuple[list[Msg], EndOfBatch | None]:
    """One batched Direct Get: its messages and its EOB (None: nothing matched)."""
    check_blocking_allowed()
    check_name(stream, "stream name")
    conn = js.connection
    subject = f"{js.api_prefix}.DIRECT.GET.{stream}"
    data = encode(req)
    sub = await conn.subscribe(conn.new_inbox())
    msgs: list[Msg] = []
    try:
        if js.trace:
            log.debug(">>> %s %s (reply %s)", subject, data.decode(), sub.subject)
        await conn.publish(subject, data, reply=sub.subject)
        deadline = monotonic() + js.timeout
        while True:
            left = deadline - monotonic()
            try:
                msg = await sub.next_msg(max(left, 0.0))
            except TimeoutError:
                raise TimeoutError(
                    f"direct get on stream {stream!r} timed out after {js.timeout} s "
                    f"({len(msgs)} messages so far)"
                ) from None
            if msg.status is not None and not msg.data:
                if js.trace:
                    log.debug("<<< %s %s %s", sub.subject, msg.status, msg.description)
                if is_end_of_batch(msg.status, msg.data):
                    return msgs, end_of_batch(msg.headers)
                if msg.is_no_responders:
                    raise NoRespondersError(
                        f"no Direct Get responders for stream {stream!r} (is allow_direct set?)"
                    )
                err = batch_status_error(msg.status, msg.description, stream)
                if err is not None:
                    raise err
                return msgs, None
            if not msgs:
                check_batched(msg.headers, stream)
            msg.subject = msg.headers.get("Nats-Subject", msg.subject)
            msg.reply = None
            msgs.append(msg)
    finally:
        await unsubscribe_quietly(sub)


async def iter_batches(
    js: JetStream, stream: str, req: dict[str, Any] | None
) -> AsyncIterator[Msg]:
    """The messages of ``req`` and of the batches after it, until none is pending."""
    while req is not None:
        msgs, eob = await get_batch(js, stream, req)
        for msg in msgs:  # noqa: UP028, RUF100 (the blocking twin)
            yield msg
        req = None if eob is None else next_batch(req, eob)


async def get_last(js: JetStream, stream: str, req: dict[str, Any]) -> dict[str, Msg]:
    """The last message of each subject a multi-last ``req`` matches, by subject."""
    return {msg.subject: msg async for msg in iter_batches(js, stream, req)}
