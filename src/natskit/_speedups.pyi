"""Types of the compiled accelerator (src/natskit/_speedups.c)."""

from typing import Any

class Scanner:
    """The compiled hot loop of one Parser."""

    def scan(self, buf: bytes, pos: int, frames: list[Any], /) -> int:
        """Append the complete MSG/HMSG frames of ``buf`` from ``pos`` to
        ``frames``; return the offset of the first frame not taken."""
