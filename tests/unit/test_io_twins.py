"""The paired I/O modules match: the same names, the same signatures.

The generated blocking code imports from ``_io_sync`` and ``_transport_sync``
what its asyncio source imports from ``_io_async`` and ``_transport_async``,
so the twins must not drift apart. Coroutine
functions pair with plain functions; aliases of standard-library objects
(``Future``, ``StateLock``, ...) only need to exist.
"""

from __future__ import annotations

import inspect
from typing import Any

import pytest

from natskit import _io_async, _io_sync, _transport_async, _transport_sync

PAIRS = [(_io_async, _io_sync), (_transport_async, _transport_sync)]
NAMES = [(a, s, name) for a, s in PAIRS for name in a.__all__]

Shape = list[tuple[str, str, object]]
# Classes the shared code makes itself; the others come from functions of the
# module (``spawn`` makes a ``Task``), which may build them differently.
CONSTRUCTED = {"Event", "Queue", "Writer"}


def shape(fn: Any) -> Shape:
    """Parameter names, kinds (positional-only counts as positional) and defaults."""
    out: Shape = []
    for p in inspect.signature(fn).parameters.values():
        kind = "positional" if p.kind <= p.POSITIONAL_OR_KEYWORD else p.kind.name
        out.append((p.name, kind, p.default))
    return out


def ours(obj: Any, module: Any) -> bool:
    return bool(getattr(obj, "__module__", None) == module.__name__)


def public_methods(cls: type) -> set[str]:
    ours = {m.__name__ for pair in PAIRS for m in pair}
    return {
        name
        for klass in cls.__mro__
        if klass.__module__ in ours
        for name, value in vars(klass).items()
        if not name.startswith("_") and callable(value)
    }


@pytest.mark.parametrize(("aio", "sync"), PAIRS, ids=lambda m: m.__name__)
def test_same_names(aio: Any, sync: Any) -> None:
    assert sorted(aio.__all__) == sorted(sync.__all__)
    for name in aio.__all__:
        assert hasattr(aio, name), name
        assert hasattr(sync, name), name


@pytest.mark.parametrize(("aio", "sync", "name"), NAMES, ids=lambda x: getattr(x, "__name__", x))
def test_same_signatures(aio: Any, sync: Any, name: str) -> None:
    a, s = getattr(aio, name), getattr(sync, name)
    if not (ours(a, aio) and ours(s, sync)):
        return  # a standard-library alias on one side: existing is enough
    if inspect.isclass(a):
        assert inspect.isclass(s), name
        methods = public_methods(a) | public_methods(s)
        for method in sorted(methods):
            am, sm = getattr(a, method, None), getattr(s, method, None)
            assert am is not None and sm is not None, f"{name}.{method} is missing on one side"
            if inspect.isfunction(am) and inspect.isfunction(sm):
                assert shape(am) == shape(sm), f"{name}.{method}"
        if name in CONSTRUCTED:
            assert shape(a) == shape(s), f"{name}()"
    else:
        assert shape(a) == shape(s), name
        assert not inspect.iscoroutinefunction(s), f"{name} is a coroutine in {sync.__name__}"
