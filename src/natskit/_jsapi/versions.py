"""Which server a feature needs: the version from INFO, compared without I/O."""

from __future__ import annotations

from typing import Any

from ..errors import JetStreamError


def server_version(info: dict[str, Any]) -> tuple[int, int, int] | None:
    """``(major, minor, patch)`` of the INFO ``version`` (``"2.15.1"``, ``"2.12.0-RC.1"``);
    None when it is missing or does not parse."""
    text = str(info.get("version", "")).split("-")[0]
    try:
        parts = [int(p) for p in text.split(".")]
    except ValueError:
        return None
    if len(parts) < 2:
        return None
    parts += [0] * (3 - len(parts))
    return parts[0], parts[1], parts[2]


def require_server(info: dict[str, Any], needed: tuple[int, int], feature: str) -> None:
    """``JetStreamError`` naming ``feature`` and the version it needs when the
    connected server (its INFO) is older; an unknown version is let through."""
    have = server_version(info)
    if have is not None and have[:2] < needed:
        raise JetStreamError(
            f"{feature} needs nats-server {needed[0]}.{needed[1]} or newer "
            f"(connected to {info.get('version')})"
        )
