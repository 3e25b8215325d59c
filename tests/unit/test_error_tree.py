"""The error classes form the tree drawn in ``natskit.errors``: catchable the Python way."""

from __future__ import annotations

import builtins

import pytest

import natskit
import natskit.aio
import natskit.errors as errors

NETWORK = [
    errors.BrokenSocketError,
    errors.ConnectionRefusedError,
    errors.ConnectionTimeoutError,
    errors.TLSError,
    errors.StaleConnectionError,
    errors.NoServersError,
    errors.HostNotFoundError,
]


@pytest.mark.parametrize("cls", NETWORK)
def test_network_errors_are_connection_errors(cls: type[errors.NatsError]) -> None:
    err = cls("lost")
    assert isinstance(err, errors.NetworkError)
    assert isinstance(err, builtins.ConnectionError)
    assert isinstance(err, errors.NatsError)
    assert str(err) == "lost"
    assert err.code.startswith("Err")


def test_connection_timeout_is_a_timeout() -> None:
    err = errors.ConnectionTimeoutError("slow")
    assert isinstance(err, errors.TimeoutError)
    assert isinstance(err, builtins.TimeoutError)
    with pytest.raises(TimeoutError):
        raise err


def test_other_errors_are_not_network_errors() -> None:
    for cls in (
        errors.TimeoutError,
        errors.InvalidArgError,
        errors.ProtocolError,
        errors.ConnectionClosedError,
        errors.JetStreamError,
    ):
        assert not issubclass(cls, errors.NetworkError), cls


def test_a_closed_connection_is_a_connection_error() -> None:
    """``except ConnectionError`` catches it too (it is not a network failure)."""
    assert issubclass(errors.ConnectionClosedError, builtins.ConnectionError)


def test_every_class_is_in_the_tree_and_exported() -> None:
    """Each class of ``__all__`` is named in the module docstring, in ``natskit``
    and in ``natskit.aio``."""
    doc = errors.__doc__ or ""
    for name in errors.__all__:
        cls = getattr(errors, name)
        assert issubclass(cls, errors.NatsError), name
        assert name in doc, f"{name} is missing from the tree in errors.py"
        assert getattr(natskit, name) is cls
        assert getattr(natskit.aio, name) is cls, name
        assert name in natskit.aio.__all__
