"""Which nats-server a feature needs: a clear error before asking an older one."""

from __future__ import annotations

import re
from typing import Any

from .errors import JetStreamError, NatsError


def version_of(info: dict[str, Any]) -> tuple[int, int, int] | None:
    """``(major, minor, patch)`` of the INFO ``version`` (``"2.15.1"``,
    ``"2.12.0-RC.1"``, ``"2.11"``); None when it is missing or does not parse."""
    match = re.match(r"v?(\d+)\.(\d+)(?:\.(\d+))?", str(info.get("version", "")))
    if match is None:
        return None
    major, minor, patch = (int(part or 0) for part in match.groups())
    return major, minor, patch


def at_least(info: dict[str, Any], needed: tuple[int, int]) -> bool:
    """Whether the server (its INFO) is known to be ``needed`` or newer."""
    version = version_of(info)
    return version is not None and version[:2] >= needed


def require(
    info: dict[str, Any],
    feature: str,
    needed: tuple[int, int],
    error: type[NatsError] = JetStreamError,
) -> None:
    """Raise ``error`` naming ``feature`` and the version it needs when the
    server is older (a server that names no version is given the benefit)."""
    version = version_of(info)
    if version is not None and version[:2] < needed:
        raise error(
            f"{feature} needs nats-server {needed[0]}.{needed[1]} or later "
            f"(this server is {info.get('version')})"
        )
