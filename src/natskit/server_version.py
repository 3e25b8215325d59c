"""Which nats-server a feature needs: a clear error before asking an older one."""

from __future__ import annotations

import re
from typing import Any

from .errors import NatsError


def version_of(info: dict[str, Any]) -> tuple[int, int, int] | None:
    """The server's version from its INFO (None when it says none)."""
    match = re.match(r"v?(\d+)\.(\d+)\.(\d+)", str(info.get("version", "")))
    if match is None:
        return None
    major, minor, patch = (int(part) for part in match.groups())
    return major, minor, patch


def require(
    info: dict[str, Any], feature: str, needed: tuple[int, int], error: type[NatsError]
) -> None:
    """Raise ``error`` naming ``feature`` and the version it needs when the
    server is older (a server that names no version is given the benefit)."""
    version = version_of(info)
    if version is not None and version[:2] < needed:
        raise error(
            f"{feature} needs nats-server {needed[0]}.{needed[1]} or later "
            f"(this server is {info.get('version')})"
        )
