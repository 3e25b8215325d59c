"""Wire conversions: seconds <-> nanoseconds, times, and JSON-backed dataclasses.

Every ``Wire`` dataclass maps its fields one to one to the JSON fields of the
same name. ``to_json`` converts the Python values (durations in seconds, times
as ``datetime``) to the wire form, ``from_json`` does the reverse and keeps the
parsed JSON in ``raw``. Fields the server sent that the class does not know stay
in ``raw`` and are sent back by ``to_json``, so an object read from the server
can be changed and sent back without losing newer server fields.
"""

from __future__ import annotations

import dataclasses
import math
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from ..errors import InvalidArgError
from ..timeutil import format_time, parse_time
from .checked import server_json

_NS = 1_000_000_000
W = TypeVar("W", bound="Wire")


def to_ns(seconds: float) -> int:
    """Seconds (int or float) to whole nanoseconds."""
    if (
        isinstance(seconds, bool)
        or not isinstance(seconds, (int, float))
        or not math.isfinite(seconds)
    ):
        raise InvalidArgError(f"a duration must be a number of seconds, not {seconds!r}")
    return round(seconds * _NS)


def from_ns(ns: int) -> float:
    """Nanoseconds to seconds."""
    return ns / _NS


def time_to_wire(value: datetime | str) -> str:
    """A ``datetime`` as RFC 3339 UTC; a string is sent as given."""
    return value if isinstance(value, str) else format_time(value)


def time_from_wire(value: Any) -> datetime | None:
    """An RFC 3339 string to a UTC ``datetime``; None for absent or Go's zero time."""
    if not isinstance(value, str) or value.startswith("0001-01-01T00:00:00"):
        return None
    return parse_time(value)


class Wire:
    """Base of the config dataclasses (see the module docstring)."""

    # Fields holding a duration (or a list of durations) in seconds.
    _durations: ClassVar[frozenset[str]] = frozenset()
    # Fields holding a datetime.
    _times: ClassVar[frozenset[str]] = frozenset()
    # Fields holding another Wire object (or a list of them).
    _nested: ClassVar[dict[str, type[Wire]]] = {}
    # Fields that take one of a few strings.
    _choices: ClassVar[dict[str, tuple[str, ...]]] = {}

    raw: dict[str, Any] | None

    if TYPE_CHECKING:  # the dataclass subclasses have the real one

        def __init__(self, *args: Any, **kwargs: Any) -> None: ...

    @classmethod
    def _field_names(cls) -> list[str]:
        return [f.name for f in dataclasses.fields(cls) if f.name != "raw"]  # type: ignore[arg-type]

    def __repr__(self) -> str:
        parts = [
            f"{name}={getattr(self, name)!r}"
            for name in self._field_names()
            if getattr(self, name) is not None
        ]
        return f"{type(self).__name__}({', '.join(parts)})"

    def to_json(self) -> dict[str, Any]:
        """The JSON object for the server; ``InvalidArgError`` for a value not
        among a field's choices (``storage="disk"``), before anything is sent."""
        for name, allowed in self._choices.items():
            value = getattr(self, name)
            if value is not None and value not in allowed:
                raise InvalidArgError(
                    f"{type(self).__name__}.{name} must be one of {', '.join(allowed)}, "
                    f"not {value!r}"
                )
        names = self._field_names()
        out = {k: v for k, v in (self.raw or {}).items() if k not in names}
        for name in names:
            value = getattr(self, name)
            if value is not None:
                out[name] = self._encode(name, value)
        return out

    def _encode(self, name: str, value: Any) -> Any:
        if name in self._durations:
            return [to_ns(v) for v in value] if isinstance(value, list) else to_ns(value)
        if name in self._times:
            return time_to_wire(value)
        if name in self._nested:
            if isinstance(value, list):
                return [v.to_json() if isinstance(v, Wire) else v for v in value]
            return value.to_json() if isinstance(value, Wire) else value
        return value

    @classmethod
    @server_json
    def from_json(cls: type[W], data: dict[str, Any]) -> W:
        """Build from a parsed JSON object; unknown fields are kept in ``raw``."""
        kwargs: dict[str, Any] = {}
        for name in cls._field_names():
            if name in data and data[name] is not None:
                kwargs[name] = cls._decode(name, data[name])
        return cls(raw=data, **kwargs)

    @classmethod
    def _decode(cls, name: str, value: Any) -> Any:
        if name in cls._durations:
            return [from_ns(v) for v in value] if isinstance(value, list) else from_ns(value)
        if name in cls._times:
            return time_from_wire(value)
        nested = cls._nested.get(name)
        if nested is not None:
            if isinstance(value, list):
                return [nested.from_json(v) for v in value]
            return nested.from_json(value)
        return value

    @classmethod
    def build(cls: type[W], options: dict[str, Any]) -> W:
        """Build from keyword options; ``InvalidArgError`` names unknown ones."""
        unknown = sorted(set(options) - set(cls._field_names()))
        if unknown:
            raise InvalidArgError(f"unknown {cls.__name__} option(s): {', '.join(unknown)}")
        return cls(**options)
