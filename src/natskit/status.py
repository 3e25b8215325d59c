"""Connection status and statistics."""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Status(enum.Enum):
    """Where a connection is in its life (Tcl ``status``)."""

    CLOSED = "closed"
    CONNECTING = "connecting"
    CONNECTED = "connected"
    RECONNECTING = "reconnecting"
    DRAINING = "draining"


@dataclass
class Stats:
    """Counters of one connection; ``in_*`` count what the server delivered."""

    in_msgs: int = 0
    out_msgs: int = 0
    in_bytes: int = 0
    out_bytes: int = 0
    reconnects: int = 0
