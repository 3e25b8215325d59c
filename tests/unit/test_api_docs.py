"""The docstrings are the API reference (the docs site renders them): every public
name of both APIs has one that stands on its own, and ``help()`` names the public
path (``natskit.Connection``, ``natskit.aio.Connection``)."""

from __future__ import annotations

import inspect
import pydoc
import re
import typing
from collections.abc import Iterator
from types import ModuleType

import pytest

import natskit
import natskit.aio

APIS = (natskit, natskit.aio)

# "see the class" (or "see ``X``") sends the reader elsewhere instead of saying it
_SEE = re.compile(r"\bsee\b", re.IGNORECASE)


def public(module: ModuleType) -> Iterator[tuple[str, object]]:
    for name in module.__all__:
        if name != "__version__":
            yield f"{module.__name__}.{name}", getattr(module, name)


def members(cls: type) -> Iterator[tuple[str, object]]:
    """Public methods and properties of ``cls``, inherited ones from natskit included."""
    seen: set[str] = set()
    for klass in cls.__mro__:
        if not klass.__module__.startswith("natskit"):
            continue
        for name, value in vars(klass).items():
            if name.startswith("_") or name in seen:
                continue
            seen.add(name)
            if isinstance(value, (staticmethod, classmethod)):
                value = value.__func__
            if isinstance(value, property) or inspect.isfunction(value):
                yield name, value


def documented() -> Iterator[tuple[str, str | None]]:
    """(dotted name, docstring) of every public object and member of both APIs."""
    for module in APIS:
        for name, obj in public(module):
            yield name, obj.__doc__
            if isinstance(obj, type) and not issubclass(obj, BaseException):
                for member, value in members(obj):
                    yield f"{name}.{member}", value.__doc__


DOCS = sorted(set(documented()), key=lambda item: item[0])


@pytest.mark.parametrize(("name", "doc"), DOCS, ids=[name for name, _ in DOCS])
def test_every_public_name_has_a_docstring_of_its_own(name: str, doc: str | None) -> None:
    assert doc and doc.strip(), f"{name} has no docstring"
    assert not _SEE.search(doc), f"{name}: the docstring says 'see ...': say it here"


@pytest.mark.parametrize(
    ("module", "generated"), [(natskit, "natskit._sync."), (natskit.aio, "natskit._async.")]
)
def test_api_objects_name_their_public_module(module: ModuleType, generated: str) -> None:
    for name, obj in public(module):
        assert not getattr(obj, "__module__", "").startswith(generated), name
    text = pydoc.render_doc(module.Connection)
    assert f"in module {module.__name__}\n" in text
    if module is natskit:
        assert "natskit.aio" not in (natskit.Connection.__doc__ or "")


def test_shared_values_keep_their_type_hints() -> None:
    """Their ``__module__`` stays where their annotations resolve."""
    for _, obj in public(natskit):
        if isinstance(obj, type) and obj.__module__ != "natskit":
            typing.get_type_hints(obj)
