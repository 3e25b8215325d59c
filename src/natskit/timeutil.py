"""RFC 3339 times as the server writes them, with up to nanosecond precision."""

from __future__ import annotations

import re
import sys
from datetime import datetime, timedelta, timezone

from natskit.errors import InvalidArgError

__all__ = ["format_time", "format_time_ns", "parse_time", "parse_time_ns"]

_RFC3339 = re.compile(
    r"(\d{4})-(\d\d)-(\d\d)[Tt](\d\d):(\d\d):(\d\d)(?:\.(\d{1,9}))?(?:[Zz]|([+-])(\d\d):(\d\d))",
    re.ASCII,
)
# The form the server writes (UTC, "Z"), which datetime.fromisoformat reads from 3.11 on.
_SERVER_FORM = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,9})?Z", re.ASCII)
_FROMISO = sys.version_info >= (3, 11)
_EPOCH = datetime(1970, 1, 1)
_NS = 1_000_000_000


def _parse(text: str) -> tuple[datetime, str, int]:
    """Split ``text`` into (naive local time without fraction, fraction digits, offset s)."""
    m = _RFC3339.fullmatch(text) if isinstance(text, str) else None
    if m is None:
        raise InvalidArgError(f"not an RFC 3339 time: {text!r}")
    year, month, day, hour, minute, second, frac, sign, off_h, off_m = m.groups()
    try:
        local = datetime(int(year), int(month), int(day), int(hour), int(minute), int(second))
    except ValueError as e:
        raise InvalidArgError(f"invalid time {text!r}: {e}") from None
    offset = 0
    if sign is not None:
        if int(off_h) > 23 or int(off_m) > 59:
            raise InvalidArgError(f"invalid time zone offset in {text!r}")
        offset = (int(off_h) * 60 + int(off_m)) * 60 * (-1 if sign == "-" else 1)
    return local, frac or "", offset


def parse_time(text: str) -> datetime:
    """Parse an RFC 3339 time into an aware UTC datetime (digits past microseconds dropped)."""
    if _FROMISO and isinstance(text, str) and _SERVER_FORM.fullmatch(text):
        try:
            return datetime.fromisoformat(text)
        except ValueError:
            pass  # out of range: the error below says so
    local, frac, offset = _parse(text)
    try:
        utc = local - timedelta(seconds=offset)
    except OverflowError:
        raise InvalidArgError(f"time out of range: {text!r}") from None
    return utc.replace(microsecond=int(frac[:6].ljust(6, "0")), tzinfo=timezone.utc)


def parse_time_ns(text: str) -> int:
    """Parse an RFC 3339 time into exact nanoseconds since the Unix epoch."""
    local, frac, offset = _parse(text)
    since = local - _EPOCH
    seconds = since.days * 86400 + since.seconds - offset
    return seconds * _NS + int(frac.ljust(9, "0"))


def _format(dt: datetime, frac: str) -> str:
    return (
        f"{dt.year:04d}-{dt.month:02d}-{dt.day:02d}T"
        f"{dt.hour:02d}:{dt.minute:02d}:{dt.second:02d}{frac}Z"
    )


def format_time(dt: datetime) -> str:
    """RFC 3339 in UTC with ``Z``; naive datetimes are taken as UTC."""
    if not isinstance(dt, datetime):
        raise InvalidArgError(f"not a datetime: {dt!r}")
    if dt.tzinfo is not None:
        try:
            dt = dt.astimezone(timezone.utc)
        except OverflowError:
            raise InvalidArgError(f"time out of range: {dt!r}") from None
    return _format(dt, f".{dt.microsecond:06d}" if dt.microsecond else "")


def format_time_ns(ns: int) -> str:
    """RFC 3339 in UTC with ``Z`` and 9 fractional digits, from nanoseconds since the epoch."""
    seconds, frac = divmod(ns, _NS)
    try:
        dt = _EPOCH + timedelta(seconds=seconds)
    except OverflowError:
        raise InvalidArgError(f"time out of range: {ns} ns") from None
    return _format(dt, f".{frac:09d}")
