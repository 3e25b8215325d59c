"""The blocking API's timer thread (no server needed)."""

from __future__ import annotations

import threading

from natskit._io_sync import _Timers


def test_cancelled_timers_do_not_pile_up() -> None:
    """Requests that finish long before their timeout leave no timer behind."""
    timers = _Timers()
    for _ in range(5000):
        timers.schedule(3600, lambda: None).cancel()
    timers.schedule(3600, lambda: None)
    assert len(timers._heap) < 1100


def test_due_timers_run_and_cancelled_ones_do_not() -> None:
    timers = _Timers()
    ran = threading.Event()
    skipped: list[int] = []
    timers.schedule(0.01, lambda: skipped.append(1)).cancel()
    timers.schedule(0.02, ran.set)
    assert ran.wait(5)
    assert skipped == []
