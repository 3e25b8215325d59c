"""``nc.trace()``: message tracing (ADR-41, nats-server 2.11+).

A message published with the ``Nats-Trace-Dest`` header makes every server
it passes through send a trace event (JSON) to that subject: here a private
inbox, whose events are gathered until ``timeout``. ``Nats-Trace-Only``
(``deliver=False``) traces the message without delivering it to its
subscribers.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from .._io_async import monotonic
from ..errors import InvalidArgError, ServerError, TimeoutError
from ..headers import Headers
from ..msg import HeadersArg
from ..options import check_timeout
from ..server_version import require
from .requests import Payload

if TYPE_CHECKING:
    from .connection import Connection

TRACE_DEST = "Nats-Trace-Dest"
TRACE_ONLY = "Nats-Trace-Only"


async def trace(
    nc: Connection,
    subject: str,
    payload: Payload,
    headers: HeadersArg,
    deliver: bool,
    timeout: float,
) -> list[dict[str, Any]]:
    """Publish one traced message; the trace events received within ``timeout``."""
    wait = check_timeout(timeout, None)
    if wait is None or type(deliver) is not bool:
        raise InvalidArgError("trace: deliver must be a bool and timeout a number of seconds")
    require(nc.server_info, "message tracing (trace)", (2, 11), ServerError)
    traced = Headers(headers) if headers else Headers()
    inbox = nc.new_inbox()
    traced[TRACE_DEST] = inbox
    if not deliver:
        traced[TRACE_ONLY] = "true"
    sub = await nc.subscribe(inbox)
    events: list[dict[str, Any]] = []
    try:
        await nc.publish(subject, payload, headers=traced)
        await nc.flush()
        deadline = monotonic() + wait
        while (left := deadline - monotonic()) > 0:
            try:
                msg = await sub.next_msg(timeout=left)
            except TimeoutError:
                break
            try:
                event = json.loads(msg.data)
            except ValueError:
                continue
            if isinstance(event, dict):
                events.append(event)
    finally:
        await sub.unsubscribe()
    return events
