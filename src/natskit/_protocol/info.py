"""The fields of a server's INFO that the client reads, and their types.

A wrong type is a ``ProtocolError`` naming the field, before anything uses
the INFO: a server (or a man in the middle before TLS) cannot make the
client crash with a raw ``TypeError`` or hold a socket open through one.
Fields natskit does not read pass unchecked.
"""

from __future__ import annotations

import math
from typing import Any

from natskit.errors import ProtocolError

__all__ = ["check_info"]

_STR = ("server_id", "server_name", "version", "go", "host", "nonce", "cluster", "domain")
_BOOL = (
    "headers",
    "auth_required",
    "tls_required",
    "tls_available",
    "tls_verify",
    "ldm",
    "jetstream",
)
_INT = ("proto", "port", "client_id")
_STR_LISTS = ("connect_urls", "ws_connect_urls")
_MAX_PAYLOAD = 1 << 53  # beyond what any server sends; keeps the arithmetic exact


def _kind(value: Any) -> str:
    return "null" if value is None else type(value).__name__


def check_info(info: dict[str, Any]) -> dict[str, Any]:
    """Return ``info`` when every field natskit reads has its type; else raise."""
    for name in _STR:
        value = info.get(name)
        if value is not None and not isinstance(value, str):
            raise ProtocolError(f"INFO field {name!r} must be a string, not {_kind(value)}")
    for name in _BOOL:
        value = info.get(name)
        if value is not None and not isinstance(value, bool):
            raise ProtocolError(f"INFO field {name!r} must be true or false, not {_kind(value)}")
    for name in _INT:
        value = info.get(name)
        if value is not None and (type(value) is not int or value < 0):
            raise ProtocolError(f"INFO field {name!r} must be an integer >= 0, not {value!r:.40}")
    value = info.get("max_payload")
    if value is not None and (
        type(value) is not int or not 0 < value <= _MAX_PAYLOAD
    ):  # a float such as 1e999 (inf) included
        shown = "inf" if isinstance(value, float) and math.isinf(value) else f"{value!r:.40}"
        raise ProtocolError(f"INFO field 'max_payload' must be a positive integer, not {shown}")
    for name in _STR_LISTS:
        value = info.get(name)
        if value is not None and (
            not isinstance(value, list) or not all(isinstance(u, str) for u in value)
        ):
            raise ProtocolError(f"INFO field {name!r} must be a list of strings")
    return info
