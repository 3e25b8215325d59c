"""Publishing features of current servers, without I/O: per-message TTLs (ADR-43),
counters (ADR-49), atomic batches (ADR-50) and schedules (ADR-51).

Header values are built and checked here, before anything is sent; the
replies these features add are parsed here too.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from datetime import datetime, timezone
from typing import Any

from .._protocol import check_subject
from ..errors import BadSubjectError, InvalidArgError, JetStreamError
from ..headers import Headers
from ..server_version import require
from ..timeutil import format_time

__all__ = [
    "BATCH_LIMIT",
    "batch_limit_of",
    "counter_value",
    "duration_text",
    "require_server",
    "schedule_headers",
    "ttl_text",
]

# ADR-50: the server's default limit of messages in one atomic batch.
BATCH_LIMIT = 1000
BATCH_ID = "Nats-Batch-Id"
BATCH_SEQ = "Nats-Batch-Sequence"
BATCH_COMMIT = "Nats-Batch-Commit"
INCR = "Nats-Incr"

# The server version each feature needs: (major, minor), for the error text.
NEEDS = {
    "per-message TTL": (2, 11),
    "counters": (2, 12),
    "atomic batch publish": (2, 12),
    "message schedules": (2, 12),
}

_TOO_LARGE = re.compile(r"too large: (\d+)")


def require_server(info: dict[str, Any], feature: str) -> None:
    """``JetStreamError`` naming ``feature`` (one of ``NEEDS``) and the version it
    needs when the server (its INFO) is older; an unknown version passes."""
    require(info, feature, NEEDS[feature])


def duration_text(seconds: float, name: str, minimum: float = 1.0) -> str:
    """Seconds as the server reads a duration: ``"5"`` (whole seconds) or a Go
    duration (``"1.5s"``); at least ``minimum``, else ``InvalidArgError`` naming ``name``."""
    if (
        isinstance(seconds, bool)
        or not isinstance(seconds, (int, float))
        or (isinstance(seconds, float) and not math.isfinite(seconds))
    ):
        raise InvalidArgError(f"{name} must be a number of seconds, not {seconds!r}")
    if seconds < minimum:
        raise InvalidArgError(f"{name} must be at least {minimum:g} s, not {seconds!r}")
    if isinstance(seconds, int) or seconds.is_integer():
        return str(int(seconds))
    return f"{seconds:.9f}".rstrip("0") + "s"


def ttl_text(ttl: float | str, name: str = "ttl") -> str:
    """The ``Nats-TTL`` value of ``ttl``: seconds (at least 1) or ``"never"``."""
    if isinstance(ttl, str):
        if ttl != "never":
            raise InvalidArgError(f'{name} must be seconds or "never", not {ttl!r}')
        return ttl
    return duration_text(ttl, name)


def counter_value(data: bytes, subject: str) -> int:
    """The value of a counter message (``{"val":"123"}``, ADR-49)."""
    try:
        obj = json.loads(data)
        return int(obj["val"])
    except (ValueError, TypeError, KeyError):
        raise JetStreamError(f"counter {subject!r}: not a counter value: {data[:80]!r}") from None


def increment_text(delta: int) -> str:
    """The ``Nats-Incr`` value of ``delta`` (an ``int`` of any size)."""
    if isinstance(delta, bool) or not isinstance(delta, int):
        raise InvalidArgError(f"delta must be an int, not {delta!r}")
    return f"{delta:+d}"


def batch_limit_of(description: str) -> int | None:
    """The server's batch limit from its "batch is too large: N" error, if it says."""
    m = _TOO_LARGE.search(description)
    return int(m.group(1)) if m else None


def check_batch_size(count: int, limit: int) -> None:
    """``InvalidArgError`` for a batch of ``count`` messages over ``limit``."""
    if count > limit:
        raise InvalidArgError(
            f"an atomic batch holds at most {limit} messages (the server's limit), not {count}"
        )


def schedule_headers(
    headers: Headers,
    *,
    target: str,
    at: datetime | None,
    every: float | None,
    cron: str | None,
    ttl: float | str | None,
    now: datetime | None = None,
) -> Headers:
    """Add the ADR-51 schedule headers to ``headers``: exactly one of ``at``
    (a future ``datetime``), ``every`` (seconds, at least 1) or ``cron`` (text)."""
    given = [n for n, v in (("at", at), ("every", every), ("cron", cron)) if v is not None]
    if len(given) != 1:
        which = " and ".join(given) if given else "none"
        raise InvalidArgError(f"give exactly one of at, every or cron (got {which})")
    try:
        check_subject(target)
    except BadSubjectError as exc:
        raise InvalidArgError(f"target: {exc}") from None
    if at is not None:
        if not isinstance(at, datetime):
            raise InvalidArgError(f"at must be a datetime, not {at!r}")
        when = at if at.tzinfo is not None else at.replace(tzinfo=timezone.utc)
        if when <= (now or datetime.now(timezone.utc)):
            raise InvalidArgError(f"at is in the past: {format_time(when)}")
        spec = f"@at {format_time(when)}"
    elif every is not None:
        unit = duration_text(every, "every")
        spec = f"@every {unit if unit.endswith('s') else unit + 's'}"
    else:
        if not isinstance(cron, str) or not cron.strip():
            raise InvalidArgError(f"cron must be a non-empty str, not {cron!r}")
        if not cron.startswith("@") and len(cron.split()) != 6:
            raise InvalidArgError(
                f"cron needs 6 fields, seconds first, or a name such as @hourly: {cron!r}"
            )
        spec = cron
    headers.set("Nats-Schedule", spec)
    headers.set("Nats-Schedule-Target", target)
    if ttl is not None:
        headers.set("Nats-Schedule-TTL", ttl_text(ttl))
    return headers


def literal_subjects(subjects: Sequence[str]) -> list[str]:
    """The subjects without wildcards among ``subjects``."""
    return [s for s in subjects if not set(s.split(".")) & {"*", ">"}]


def hint(err_code: int | None) -> str:
    """What the stream needs for a publishing feature the server refused."""
    return _HINTS.get(err_code or 0, "")


_HINTS = {
    10166: " (the stream needs allow_msg_ttl=True)",
    10168: " (the stream needs allow_msg_counter=True)",
    10174: " (the stream needs allow_atomic=True)",
    10188: " (the stream needs allow_msg_schedules=True)",
}


def error_reply(data: bytes) -> dict[str, Any] | None:
    """The ``error`` object of a JSON reply, or None (an empty reply is no error)."""
    if not data:
        return None
    try:
        obj = json.loads(data)
    except ValueError:
        return None
    err = obj.get("error") if isinstance(obj, dict) else None
    return err if isinstance(err, dict) else None
