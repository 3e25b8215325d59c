"""Consumer controls: pause and resume, unpin a priority group, reset.

Each is one JetStream API request; ``JetStream`` (``jsmanage``) has the entry
points and hands over its request function (``api(suffix, body) -> reply``)
and the server's INFO, for the version each API needs.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from .._jsapi import ConsumerInfo
from .._jsapi.controls import (
    PAUSE_VERSION,
    RESET_VERSION,
    UNPIN_VERSION,
    ConsumerPause,
    pause_request,
    reset_request,
    unpin_request,
)
from .._jsapi.levels import RESET_LEVEL
from .._protocol import check_name
from ..server_version import require

Api = Callable[..., Any]  # JetStreamManager._api: (suffix, body, need) -> the reply's JSON


def _names(stream: str, name: str) -> str:
    check_name(stream, "stream name")
    check_name(name, "consumer name")
    return f"{stream}.{name}"


async def pause_consumer(
    api: Api, info: dict[str, Any], stream: str, name: str, until: datetime | float
) -> ConsumerPause:
    """``JetStream.pause_consumer`` (see there)."""
    names = _names(stream, name)
    body = pause_request(until)
    require(info, "consumer pause", PAUSE_VERSION)
    reply: dict[str, Any] = await api(f"CONSUMER.PAUSE.{names}", body)
    return ConsumerPause.from_json(reply)


async def resume_consumer(api: Api, info: dict[str, Any], stream: str, name: str) -> ConsumerPause:
    """``JetStream.resume_consumer`` (see there)."""
    names = _names(stream, name)
    require(info, "consumer pause", PAUSE_VERSION)
    reply: dict[str, Any] = await api(f"CONSUMER.PAUSE.{names}", {})
    return ConsumerPause.from_json(reply)


async def unpin_consumer(
    api: Api, info: dict[str, Any], stream: str, name: str, group: str
) -> None:
    """``JetStream.unpin_consumer`` (see there)."""
    names = _names(stream, name)
    body = unpin_request(group)
    require(info, "consumer unpin", UNPIN_VERSION)
    await api(f"CONSUMER.UNPIN.{names}", body)


async def reset_consumer(
    api: Api, info: dict[str, Any], stream: str, name: str, seq: int | None
) -> ConsumerInfo:
    """``JetStream.reset_consumer`` (see there)."""
    names = _names(stream, name)
    body = reset_request(seq)
    require(info, "consumer reset", RESET_VERSION)
    reply: dict[str, Any] = await api(
        f"CONSUMER.RESET.{names}", body, (RESET_LEVEL, "consumer reset")
    )
    return ConsumerInfo.from_json(reply)
