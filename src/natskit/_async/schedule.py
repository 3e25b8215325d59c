"""Message schedules (ADR-51): ``js.publish_schedule``.

A schedule is a message on a subject of its own, with headers saying when
(``Nats-Schedule``: ``@at <time>``, ``@every <duration>`` or a cron
expression) and where to (``Nats-Schedule-Target``, a subject of the same
stream); the server then publishes its payload and headers to the target on
that schedule. Publishing again to the schedule's subject replaces it; purging
the subject ends it. The stream needs ``allow_msg_schedules``.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from .._jsapi import PubAck
from .._jsapi.publishing import require_server, schedule_headers
from .._protocol import check_subject
from ..errors import InvalidArgError
from ..headers import Headers
from ..msg import HeadersArg

if TYPE_CHECKING:
    from .jetstream import JetStream
    from .link import Link

Payload = bytes | bytearray | memoryview | str


async def publish_schedule(
    js: JetStream,
    link: Link,
    subject: str,
    payload: Payload,
    *,
    target: str,
    at: datetime | None,
    every: float | None,
    cron: str | None,
    ttl: float | str | None,
    headers: HeadersArg,
) -> PubAck:
    """Store the schedule (see ``JetStream.publish_schedule``)."""
    check_subject(subject)
    hdrs = schedule_headers(
        Headers(headers) if headers else Headers(),
        target=target,
        at=at,
        every=every,
        cron=cron,
        ttl=ttl,
    )
    if target == subject:
        raise InvalidArgError("target must be another subject than the schedule's own")
    require_server(link.conn.server_info, "message schedules")
    return await js.publish(subject, payload, headers=hdrs)
