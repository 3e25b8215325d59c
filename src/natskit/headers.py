"""Message headers: an ordered multi-map with case-sensitive keys (ADR-4)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from fnmatch import fnmatchcase
from typing import TypeAlias, overload

from natskit.errors import InvalidArgError

__all__ = ["Headers", "HeadersInit"]


def valid_key(key: str) -> bool:
    """True when ``key`` is 1+ printable ASCII characters (33..126) other than ':'."""
    # isprintable() on ASCII text admits 32..126, so only the space needs excluding.
    return bool(key) and key.isascii() and key.isprintable() and " " not in key and ":" not in key


def _check_key(key: object) -> str:
    if not isinstance(key, str):
        raise InvalidArgError(f"header key must be a str, not {type(key).__name__}")
    if not valid_key(key):
        raise InvalidArgError(
            f"invalid header key {key!r}: use printable ASCII characters other than ':'"
        )
    return key


def _check_value(value: object) -> str:
    if not isinstance(value, str):
        raise InvalidArgError(f"header value must be a str, not {type(value).__name__}")
    if "\r" in value or "\n" in value:
        raise InvalidArgError(f"header value {value!r} contains CR or LF")
    if not value.isascii():
        try:
            value.encode()
        except UnicodeEncodeError:
            raise InvalidArgError(f"header value {value!r} cannot be encoded as UTF-8") from None
    return value


class Headers:
    """Ordered multi-map of header keys to string values.

    Keys are case-sensitive. ``h[k]`` and ``get`` return a key's first value,
    ``get_all`` all of them; ``add`` appends a value, ``set`` and
    ``h[k] = v`` replace them. Iteration yields the distinct keys in insertion order.
    """

    __slots__ = ("_d",)
    __hash__ = None  # type: ignore[assignment]

    def __init__(self, initial: HeadersInit | None = None) -> None:
        self._d: dict[str, list[str]] = {}
        if initial is None:
            return
        if isinstance(initial, Headers):
            self._d = {k: list(v) for k, v in initial._d.items()}
        elif isinstance(initial, Mapping):
            for key, value in initial.items():
                if isinstance(value, Sequence) and not isinstance(value, str):
                    for v in value:
                        self.add(key, v)
                else:
                    self.add(key, value)  # raises unless value is a str
        elif isinstance(initial, Iterable):
            for pair in initial:
                if not isinstance(pair, (tuple, list)) or len(pair) != 2:
                    raise InvalidArgError(f"expected a (key, value) pair, not {pair!r}")
                self.add(*pair)
        else:
            raise InvalidArgError(f"cannot make Headers from {type(initial).__name__}")

    def add(self, key: str, value: str) -> None:
        """Append ``value`` to the values of ``key``."""
        value = _check_value(value)
        values = self._d.get(_check_key(key))
        if values is None:
            self._d[key] = [value]
        else:
            values.append(value)

    def set(self, key: str, value: str) -> None:
        """Replace all values of ``key`` with ``value``."""
        self._d[_check_key(key)] = [_check_value(value)]

    __setitem__ = set

    def __getitem__(self, key: str) -> str:
        return self._d[key][0]

    def __delitem__(self, key: str) -> None:
        del self._d[key]

    @overload
    def get(self, key: str, default: None = None) -> str | None: ...
    @overload
    def get(self, key: str, default: str) -> str: ...

    def get(self, key: str, default: str | None = None) -> str | None:
        """First value of ``key``, or ``default``."""
        values = self._d.get(key)
        return default if values is None else values[0]

    def get_all(self, key: str) -> list[str]:
        """All values of ``key`` (an empty list when absent)."""
        return list(self._d.get(key, ()))

    values = get_all

    def keys(self, pattern: str | None = None) -> list[str]:
        """Distinct keys, or those matching the glob ``pattern`` (case-sensitive)."""
        if pattern is None:
            return list(self._d)
        return [k for k in self._d if fnmatchcase(k, pattern)]

    def items(self) -> list[tuple[str, str]]:
        """One ``(key, value)`` pair per value."""
        return [(k, v) for k, values in self._d.items() for v in values]

    def copy(self) -> Headers:
        """An independent copy."""
        return Headers(self)

    def __contains__(self, key: object) -> bool:
        return key in self._d

    def __len__(self) -> int:
        return len(self._d)

    def __iter__(self) -> Iterator[str]:
        return iter(self._d)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Headers):
            return self._d == other._d
        if not isinstance(other, Mapping):
            return NotImplemented
        if len(other) != len(self._d):
            return False
        for key, values in self._d.items():
            theirs = other.get(key)
            if isinstance(theirs, str):
                theirs = [theirs]
            elif not isinstance(theirs, Sequence):
                return False
            if list(theirs) != values:
                return False
        return True

    def __repr__(self) -> str:
        return f"Headers({self.items()!r})"


def checked_headers(d: dict[str, list[str]]) -> Headers:
    """``Headers`` over ``d`` as it is: for keys and values already checked
    (the wire decoder's), without the copy and checks of the constructor."""
    headers = Headers()
    headers._d = d
    return headers


#: What the :class:`Headers` constructor accepts.
HeadersInit: TypeAlias = Headers | Mapping[str, str | Sequence[str]] | Iterable[tuple[str, str]]
