"""Replies of the JetStream API are checked against the types their classes declare.

``server_json`` wraps a ``from_json`` classmethod: what it builds must have,
field by field, the type its dataclass declares, and any failure to convert
(a string where a number of nanoseconds was due, a time that does not
parse, a list where an object was) becomes a ``ProtocolError`` naming the
class and the field. No raw ``TypeError`` or ``KeyError`` leaves the parsing
of what a server sent.
"""

from __future__ import annotations

import dataclasses
import functools
import types
import typing
from collections.abc import Callable
from datetime import datetime
from typing import Any, ParamSpec, TypeVar

from ..errors import ProtocolError

T = TypeVar("T")
P = ParamSpec("P")
_HINTS: dict[type, dict[str, Any]] = {}


def _hints(cls: type) -> dict[str, Any]:
    hints = _HINTS.get(cls)
    if hints is None:
        hints = _HINTS[cls] = typing.get_type_hints(cls)
    return hints


def _fits(value: Any, hint: Any) -> bool:
    """Whether ``value`` has the type ``hint`` (the subset the reply classes use)."""
    if hint is Any:
        return True
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        return any(_fits(value, arg) for arg in typing.get_args(hint))
    if origin is typing.Literal:
        return value in typing.get_args(hint)
    if origin in (list, dict):
        if not isinstance(value, origin):
            return False
        args = typing.get_args(hint)
        if origin is list:
            return not args or all(_fits(v, args[0]) for v in value)
        return not args or all(_fits(k, args[0]) and _fits(v, args[1]) for k, v in value.items())
    if hint is type(None):
        return value is None
    if hint is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if isinstance(hint, type):
        return isinstance(value, hint) or (hint is datetime and value is None)
    return True  # a hint this checker does not know: not checked


def check(obj: T) -> T:
    """``obj`` if each of its dataclass fields has its declared type; else ProtocolError."""
    hints = _hints(type(obj))
    for f in dataclasses.fields(obj):  # type: ignore[arg-type]
        value = getattr(obj, f.name)
        hint = hints.get(f.name, Any)
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            check(value)  # a nested reply object: its own fields too
        elif isinstance(value, list):
            for item in value:
                if dataclasses.is_dataclass(item) and not isinstance(item, type):
                    check(item)
        if not _fits(value, hint):
            raise ProtocolError(
                f"{type(obj).__name__}.{f.name} in a server reply has the wrong type: "
                f"{type(value).__name__} {value!r:.60}"
            )
    return obj


def server_json(build: Callable[P, T]) -> Callable[P, T]:
    """Decorate a ``from_json(cls, data)`` function: convert failures and wrong
    types to ``ProtocolError`` (see the module docstring)."""

    @functools.wraps(build)
    def checked(*args: P.args, **kwargs: P.kwargs) -> T:
        cls, data = args[0], args[1]
        assert isinstance(cls, type)
        if not isinstance(data, dict):
            raise ProtocolError(f"{cls.__name__} in a server reply is not a JSON object")
        try:
            obj = build(*args, **kwargs)
        except ProtocolError:
            raise
        except (TypeError, ValueError, KeyError, AttributeError, OverflowError) as exc:
            raise ProtocolError(
                f"malformed {cls.__name__} in a server reply: {type(exc).__name__}: {exc}"
            ) from None
        return check(obj)

    return checked
