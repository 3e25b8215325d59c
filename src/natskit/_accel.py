"""Which per-message code natskit runs: the compiled accelerator or its pure-Python twin.

``natskit._speedups`` (``src/natskit/_speedups*.c``) is built by ``pip install``
where a C compiler exists; the environment variable ``NATSKIT_NO_EXTENSIONS``
set to anything but ``""`` or ``"0"`` when natskit is imported turns it off.
"""

from __future__ import annotations

import os
from types import ModuleType

__all__ = ["accelerated", "load", "speedups"]


def load() -> ModuleType:
    """The compiled module, ``NATSKIT_NO_EXTENSIONS`` or not; ImportError if not built."""
    from natskit import _speedups

    return _speedups


def _choose() -> ModuleType | None:
    if os.environ.get("NATSKIT_NO_EXTENSIONS", "") not in ("", "0"):
        return None
    try:
        return load()
    except ImportError:
        return None


#: The compiled module in use, or None (pure Python).
speedups = _choose()
#: Whether the compiled accelerator is in use.
accelerated = speedups is not None
