"""``nc.user_info()``: what the server knows of this connection's user
(``$SYS.REQ.USER.INFO``, nats-server 2.10+: every user may ask for itself)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from ..errors import NoRespondersError, ServerError
from ..server_version import require

if TYPE_CHECKING:
    from .connection import Connection

SUBJECT = "$SYS.REQ.USER.INFO"


async def user_info(nc: Connection, timeout: float | None) -> dict[str, Any]:
    """The ``data`` of the server's answer: ``user``, ``account`` (and
    ``account_name``), ``permissions``, ``expires`` when set."""
    require(nc.server_info, "user_info ($SYS.REQ.USER.INFO)", (2, 10), NoRespondersError)
    reply = await nc.request(SUBJECT, b"", timeout=timeout)
    try:
        answer = json.loads(reply.data)
    except ValueError:
        answer = None
    if not isinstance(answer, dict):
        raise ServerError(f"{SUBJECT}: the answer is not a JSON object")
    error = answer.get("error")
    if error:
        text = error.get("description", error) if isinstance(error, dict) else error
        raise ServerError(f"{SUBJECT}: {text}")
    data = answer.get("data")
    if not isinstance(data, dict):
        raise ServerError(f"{SUBJECT}: the answer has no data")
    return data
