"""Tests of NUID generation."""

from __future__ import annotations

import os
import string
import threading
from itertools import pairwise

import pytest

from natskit._protocol import nuid as nuid_module
from natskit._protocol.nuid import NUID, next_nuid

ALPHABET = set(string.digits + string.ascii_letters)


def test_format_and_uniqueness() -> None:
    gen = NUID()
    ids = [gen.next() for _ in range(50_000)]
    assert len(set(ids)) == len(ids)
    assert all(len(i) == 22 and set(i) <= ALPHABET for i in ids)
    assert len({i[:12] for i in ids}) == 1  # one prefix until the sequence overflows


def test_instances_differ() -> None:
    assert NUID().next()[:12] != NUID().next()[:12]


def test_sequence_overflow_draws_new_prefix() -> None:
    gen = NUID()
    gen._seq = nuid_module._MAX_SEQ - 1
    old_prefix = gen._prefix
    first = gen.next()
    assert first[:12] != old_prefix and len(first) == 22
    second = gen.next()
    assert second != first and second[:12] == first[:12]


def test_sequence_is_base62_and_increasing_across_carries() -> None:
    gen = NUID()
    gen._seq = nuid_module._LOW * 5 - 1  # the two low digits wrap on the next id

    def seq(nuid: str) -> int:
        value = 0
        for c in nuid[12:]:
            value = value * 62 + nuid_module._DIGITS.index(c)
        return value

    numbers = [seq(gen.next()) for _ in range(100)]
    assert numbers[0] == nuid_module._LOW * 5 - 1 + gen._inc
    steps = {b - a for a, b in pairwise(numbers)}
    assert steps == {gen._inc} and 33 <= gen._inc < 333


def test_next_nuid_threads() -> None:
    results: list[list[str]] = [[] for _ in range(8)]

    def work(out: list[str]) -> None:
        out.extend(next_nuid() for _ in range(5000))

    threads = [threading.Thread(target=work, args=(r,)) for r in results]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    all_ids = [i for r in results for i in r]
    assert len(set(all_ids)) == len(all_ids) == 40_000
    assert len({r[0][:12] for r in results}) == 8  # one generator per thread


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
# Python 3.12+ warns on fork() while other threads run (the suite's servers' and
# clients'); the child here only draws two ids and exits.
@pytest.mark.filterwarnings("ignore:This process .* is multi-threaded:DeprecationWarning")
def test_fork_gives_new_ids() -> None:
    gen = NUID()
    next_nuid()
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - child
        os.write(write_fd, (gen.next() + next_nuid()).encode())
        os._exit(0)
    os.close(write_fd)
    child = os.read(read_fd, 100).decode()
    os.close(read_fd)
    os.waitpid(pid, 0)
    assert child[:12] != gen.next()[:12]
    assert child[22:34] != next_nuid()[:12]
