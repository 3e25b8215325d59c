"""NUID: fast, unique, unguessable 22-character base62 ids (used for inboxes).

An id is a 12-character random prefix followed by a 10-character sequence. The sequence
starts at a random value and grows by a random increment; when it would overflow, a new
prefix and sequence are drawn. All randomness comes from the operating system
(``random.SystemRandom``, what :mod:`secrets` uses; ``secrets`` itself would load OpenSSL
through ``hmac``).
"""

from __future__ import annotations

import os
import random
import threading
import weakref

__all__ = ["NUID", "next_nuid"]

_DIGITS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_BASE = 62
_PREFIX_LEN = 12
_SEQ_LEN = 10
_MAX_SEQ = _BASE**_SEQ_LEN
_MIN_INC = 33
_MAX_INC = 333
# The last two sequence digits come from this table; the other eight change only when
# those two wrap around, so next() is usually one divmod, one index and one concatenation.
_LOW = _BASE**2
_PAIRS = [a + b for a in _DIGITS for b in _DIGITS]
_RANDOM = random.SystemRandom()


def _base62(value: int, width: int) -> str:
    digits = []
    for _ in range(width):
        value, d = divmod(value, _BASE)
        digits.append(_DIGITS[d])
    return "".join(reversed(digits))


class NUID:
    """Generator of ids; not thread-safe (use :func:`next_nuid` from several threads)."""

    __slots__ = ("__weakref__", "_head", "_high", "_inc", "_prefix", "_seq")

    def __init__(self) -> None:
        self._randomize()
        _instances.add(self)

    def _randomize(self) -> None:
        """Draw a new prefix, sequence start and increment."""
        self._prefix = "".join(_RANDOM.choice(_DIGITS) for _ in range(_PREFIX_LEN))
        self._seq = _RANDOM.randrange(_MAX_SEQ)
        self._inc = _MIN_INC + _RANDOM.randrange(_MAX_INC - _MIN_INC)
        self._high = -1  # sequence // _LOW that _head was built for
        self._head = ""  # prefix + the first eight sequence digits

    def next(self) -> str:
        """Return the next id."""
        seq = self._seq + self._inc
        if seq >= _MAX_SEQ:
            self._randomize()
            seq = self._seq
        self._seq = seq
        high, low = divmod(seq, _LOW)
        if high != self._high:
            self._high = high
            self._head = self._prefix + _base62(high, _SEQ_LEN - 2)
        return self._head + _PAIRS[low]


_instances: weakref.WeakSet[NUID] = weakref.WeakSet()

# One generator per thread rather than one behind a lock: a thread-local attribute read
# costs less than an uncontended acquire/release pair, and threads never contend (which
# matters on free-threaded builds). Each thread's prefix is random, so ids stay unique.
_local = threading.local()


def next_nuid() -> str:
    """Return a new id; safe to call from any number of threads."""
    try:
        nuid: NUID = _local.nuid
    except AttributeError:
        nuid = _local.nuid = NUID()
    return nuid.next()


def _after_fork() -> None:
    # A forked child inherits every generator's state: re-randomize, or parent and child
    # would produce the same ids.
    for nuid in list(_instances):
        nuid._randomize()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork)
