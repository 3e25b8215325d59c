"""The compiled accelerator against its pure-Python twin: the same frames and the
same ProtocolErrors for the same bytes in any split, and the switch that turns it off.

The differential tests import ``natskit._speedups`` whether or not
``NATSKIT_NO_EXTENSIONS`` is set, so both runs of the suite make them; they are
skipped (and say so) only where the extension was not built.
"""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
from itertools import pairwise
from types import ModuleType
from typing import Any
from unittest import mock

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import natskit
import natskit.aio
from natskit._protocol import PubEncoder
from natskit._protocol.parser import MAX_CONTROL_LINE, Parser
from natskit.errors import NatsError, ProtocolError

speedups: ModuleType | None
try:
    from natskit import _speedups as speedups
except ImportError:
    speedups = None
BUILT = speedups is not None

compiled_only = pytest.mark.skipif(not BUILT, reason="natskit._speedups is not built")
SETTINGS = settings(max_examples=300, deadline=None)


def run(compiled: bool, chunks: list[bytes]) -> list[Any]:
    """What a parser returns per chunk, each value with its type, up to the
    first error: ("error", its message)."""
    parser = Parser(compiled=compiled)
    out: list[Any] = []
    for chunk in chunks:
        try:
            frames = parser.feed(chunk)
        except ProtocolError as exc:
            out.append(("error", str(exc)))
            break
        out.append(
            [(type(f), f, [type(x) for x in f] if type(f) is tuple else None) for f in frames]
        )
    return out


def check_same(chunks: list[bytes]) -> None:
    assert run(True, chunks) == run(False, chunks)


def split_at(data: bytes, cuts: list[int]) -> list[bytes]:
    bounds = [0, *sorted({min(c, len(data)) for c in cuts}), len(data)]
    return [data[a:b] for a, b in pairwise(bounds)]


# -- well-formed streams --------------------------------------------------------

subjects = st.one_of(
    st.sampled_from(["a", "foo.bar", "_INBOX.x.1", "ü.ñ", "$JS.ACK.s.c.1.2.3.4.5"]),
    st.text(st.characters(exclude_characters=" \t\r\n", codec="utf-8"), min_size=1, max_size=12),
)
payloads = st.one_of(
    st.binary(max_size=40),
    st.lists(st.sampled_from([b"\r\n", b"\r", b"\n", b"MSG a 1 1\r\n", b"x"])).map(b"".join),
)


def msg(subject: str, sid: int, reply: str | None, header: bytes | None, payload: bytes) -> bytes:
    args = [subject.encode(), str(sid).encode(), *([reply.encode()] if reply else [])]
    if header is None:
        return b"MSG %b %d\r\n%b\r\n" % (b" ".join(args), len(payload), payload)
    size = len(header) + len(payload)
    return b"HMSG %b %d %d\r\n%b%b\r\n" % (b" ".join(args), len(header), size, header, payload)


frames_st = st.one_of(
    st.builds(msg, subjects, st.integers(0, 10**20), st.none() | subjects, st.none(), payloads),
    st.builds(msg, subjects, st.integers(0, 99), st.none() | subjects, payloads, payloads),
    st.sampled_from(
        [b"PING\r\n", b"PONG\r\n", b"+OK\r\n", b"-ERR 'x'\r\n", b'INFO {"max_payload":9}\r\n']
    ),
)


@compiled_only
@SETTINGS
@given(frames=st.lists(frames_st, max_size=20), cuts=st.lists(st.integers(0, 1500), max_size=8))
def test_same_frames_for_streams_in_any_split(frames: list[bytes], cuts: list[int]) -> None:
    data = b"".join(frames)
    check_same([data])
    check_same(split_at(data, cuts))


@compiled_only
@settings(max_examples=60, deadline=None)
@given(frames=st.lists(frames_st, max_size=6))
def test_same_frames_bytewise(frames: list[bytes]) -> None:
    data = b"".join(frames)
    check_same([data[i : i + 1] for i in range(len(data))])


# -- near misses and garbage ---------------------------------------------------

# Words of MSG/HMSG lines, most of them almost right, and separators not all one space.
texts = st.sampled_from(
    [b"a", b"a.b", b"\xc3\xbc", b"a\tb", b"a\rb", b"a\x0bb", b"\xff", b"\xed\xa0\x80", b"\x00"]
)
numbers = st.sampled_from(
    [
        b"0",
        b"1",
        b"007",
        b"-1",
        b"+1",
        b"1_0",
        b" 1",
        b"\xef\xbc\x91",
        b"1" * 18,
        b"9" * 19,
        b"9" * 30,
    ]
)
separators = st.sampled_from([b"  ", b"\t", b" \t", b"\r", b""])


@st.composite
def near_msgs(draw: st.DrawFn) -> bytes:
    """A MSG or HMSG frame with at most one part wrong: a word, a separator, the
    end of the line or of the payload."""
    wrong = draw(st.sampled_from(["", "op", "subject", "sid", "reply", "hdr", "size", "sep"]))
    wrong = wrong or draw(st.sampled_from(["", "", "trail", "eol", "eom"]))

    def part(name: str, right: bytes, wrongs: st.SearchStrategy[bytes]) -> bytes:
        return draw(wrongs) if name == wrong else right

    hmsg = draw(st.booleans())
    header = draw(st.binary(max_size=6)) if hmsg else b""
    payload = draw(st.binary(max_size=10))
    ops = st.sampled_from([b"msg", b"Hmsg", b"HMSG", b"MSG", b"MSG\t"])
    words = [part("op", b"HMSG" if hmsg else b"MSG", ops)]
    words += [part("subject", b"foo.bar", texts), part("sid", b"7", numbers)]
    if draw(st.booleans()) or wrong == "reply":
        words.append(part("reply", b"_INBOX.r", texts))
    if hmsg or wrong == "hdr":
        words.append(part("hdr", b"%d" % len(header), numbers))
    words.append(part("size", b"%d" % (len(header) + len(payload)), numbers))
    seps = [b" "] * (len(words) - 1)
    if wrong == "sep":
        seps[draw(st.integers(0, len(seps) - 1))] = draw(separators)
    line = words[0] + b"".join(sep + w for sep, w in zip(seps, words[1:], strict=True))
    line += part("trail", b"", st.sampled_from([b" ", b"\t", b" 1"]))
    ends = st.sampled_from([b"\n", b"\r", b"", b"xx", b"\r\r\n"])
    return line + part("eol", b"\r\n", ends) + header + payload + part("eom", b"\r\n", ends)


@compiled_only
@settings(max_examples=500, deadline=None)
@given(frame=near_msgs(), cut=st.integers(0, 80))
def test_same_frames_and_errors_for_near_misses(frame: bytes, cut: int) -> None:
    data = b"MSG a 1 1\r\nx\r\n" + frame + b"PING\r\n"
    check_same([data])
    check_same([data[:cut], data[cut:]])


fragments = st.sampled_from(
    [
        b"MSG ", b"HMSG ", b"msg\t", b"PING", b"+OK", b"-ERR ", b"INFO ", b"{}", b" ", b"\t",
        b"\r\n", b"\r", b"\n", b"0", b"1", b"3", b"12", b"-1", b"a.b", b"\xff", b"'",
        b"MSG a 1 1\r\nx\r\n", b"HMSG a 1 1 2\r\nhx\r\n", b"HMSG a 1 3 2\r\n",
    ]
)  # fmt: skip
garbage = st.one_of(
    st.binary(max_size=200),
    st.lists(fragments, max_size=40).map(b"".join),
    st.lists(near_msgs() | frames_st, max_size=8).map(b"".join),
)


@compiled_only
@SETTINGS
@given(data=garbage, cuts=st.lists(st.integers(0, 300), max_size=6))
def test_same_frames_and_errors_for_garbage(data: bytes, cuts: list[int]) -> None:
    check_same([data])
    check_same(split_at(data, cuts))


@compiled_only
@settings(max_examples=40, deadline=None)
@given(extra=st.integers(-3, 3), cut=st.integers(0, MAX_CONTROL_LINE + 20), hmsg=st.booleans())
def test_same_length_limit(extra: int, cut: int, hmsg: bool) -> None:
    """Control lines around MAX_CONTROL_LINE, in one chunk or two."""
    head = b"HMSG " if hmsg else b"MSG "
    tail = b" 1 1 1" if hmsg else b" 1 1"
    subject = b"s" * (MAX_CONTROL_LINE + extra - len(head) - len(tail))
    data = head + subject + tail + b"\r\nx\r\nPING\r\n"
    check_same([data])
    check_same([data[:cut], data[cut:]])


@compiled_only
def test_same_frames_with_many_subjects() -> None:
    """Far more distinct lines than the compiled cache holds, each seen more than
    once, so that entries are replaced and found again."""
    data = b"".join(msg(f"s.{i % 300}", i % 7, None, None, b"%d" % i) for i in range(1200))
    check_same([data])
    check_same([data[i : i + 97] for i in range(0, len(data), 97)])


# -- Msg.received ---------------------------------------------------------------

SLOTS = ("subject", "data", "reply", "_link", "_headers", "status", "description", "_acked")


def fields(msg: object) -> dict[str, Any]:
    """Every slot of a Msg that is set (the blocking Msg's ``_acked`` is not)."""
    return {name: getattr(msg, name) for name in SLOTS if hasattr(msg, name)}


@compiled_only
@settings(max_examples=100, deadline=None)
@given(
    args=st.tuples(
        subjects, st.binary(max_size=8), st.none() | subjects, st.none() | st.just(object())
    ),
    extra=st.lists(st.none() | st.integers(0, 999) | st.text(max_size=5), max_size=3),
)
def test_msg_maker_makes_what_received_makes(args: tuple[Any, ...], extra: list[Any]) -> None:
    assert speedups is not None
    for cls in (natskit.Msg, natskit.aio.Msg):
        made = speedups.MsgMaker(cls)(*args, *extra)
        assert type(made) is cls
        assert fields(made) == fields(cls.received(*args, *extra))


@compiled_only
def test_msg_maker_refuses_what_it_cannot_make() -> None:
    assert speedups is not None

    class NoSlots:
        subject = None

    with pytest.raises(TypeError):
        speedups.MsgMaker(NoSlots)
    with pytest.raises(TypeError):
        speedups.MsgMaker(natskit.Msg)("a", b"", None)  # too few arguments


# -- routing --------------------------------------------------------------------


class FakeSub:
    """What Router.handle reads and calls on a subscription, recorded."""

    def __init__(self, sid: int, mode: int, log: list[Any], router: Any, fail_at: int) -> None:
        self.sid, self._max, self._count, self._log, self._router = sid, None, 0, log, router
        self._on_reader = None if mode < 2 else log.append
        if mode == 1:
            self._max = 3
        self._fail_at = fail_at

    def _record(self, kind: str, msg: Any, size: int) -> None:
        seen = {**fields(msg), "_link": type(msg._link)}  # each run has its own link
        self._log.append((kind, self.sid, type(msg), seen, size, self._count))
        if len(self._log) == self._fail_at:
            raise RuntimeError(f"callback failed at {self._fail_at}")

    def _deliver_special(self, msg: Any, size: int) -> None:
        self._record("special", msg, size)
        self._router._subs.pop(self.sid, None)  # max_msgs reached: gone from the router

    def _enqueue(self, msg: Any, size: int) -> None:
        self._record("enqueue", msg, size)


class FakeLink:
    def __init__(self, log: list[Any]) -> None:
        self.log = log

    def report(self, exc: BaseException) -> None:
        self.log.append(("report", type(exc), str(exc)))


headers_st = st.sampled_from([b"NATS/1.0\r\nA: b\r\n\r\n", b"NATS/1.0 503\r\n\r\n", b"bad", b""])
msg_frames = st.tuples(
    st.sampled_from(["a", "b.c"]),
    st.integers(1, 5),
    st.none() | st.just("r"),
    st.none() | headers_st,
    st.binary(max_size=5),
)


def routed(compiled: bool, frames: list[Any], modes: list[int], fail_at: int) -> list[Any]:
    from natskit._async.subscription import Router

    log: list[Any] = []
    router = Router.__new__(Router)  # only what handle() uses
    router.link = FakeLink(log)  # type: ignore[assignment]
    router._on_frame = log.append
    router.in_msgs = router.in_bytes = 0
    router._subs = {
        sid: FakeSub(sid, mode, log, router, fail_at)  # type: ignore[misc]
        for sid, mode in enumerate(modes, 1)
    }
    assert speedups is not None
    router._route = speedups.route if compiled else None
    try:
        router.handle(frames)
    except RuntimeError as exc:
        log.append(("raised", str(exc)))
    return [*log, router.in_msgs, router.in_bytes, sorted(router._subs)]


@compiled_only
@settings(max_examples=200, deadline=None)
@given(
    frames=st.lists(msg_frames | st.sampled_from(["PING", "INFO"]), max_size=12),
    modes=st.lists(st.integers(0, 2), max_size=4),
    fail_at=st.integers(0, 12),
)
def test_same_routing(frames: list[Any], modes: list[int], fail_at: int) -> None:
    """Router.handle compiled and not: the same calls, messages (headers decoded
    or reported), counts, order, and the same state after a callback fails."""
    assert routed(True, frames, modes, fail_at) == routed(False, frames, modes, fail_at)


class FakeDispatcher:
    """Records each ``schedule`` with what the slot holds then (and marks it
    scheduled, as the real one does)."""

    def __init__(self, log: list[Any], fail_at: int) -> None:
        self.log, self.fail_at = log, fail_at

    def schedule(self, slot: Any) -> None:
        owner = getattr(slot, "owner", None)  # a Lane
        who = slot.sid if owner is None else ("lane", owner.sid, owner._lanes.index(slot))
        self.log.append(("schedule", who, slot._scheduled, len(slot._pending)))
        slot._scheduled = True
        if len(self.log) == self.fail_at:
            raise RuntimeError(f"schedule failed at {self.fail_at}")


def sub_state(sub: Any) -> list[Any]:
    """What delivery changed on ``sub``: its counters, flags and what it queued."""
    if sub._callback is not None:
        items = list(sub._pending)
    else:
        items = []
        while (item := sub._queue.get_nowait(sub._queue)) is not sub._queue:
            items.append(item)
    seen = [item if item is None else {**fields(item), "_link": None} for item in items]
    lanes = [lane._scheduled for lane in sub._lanes or []]
    counters = [sub._count, sub._in_msgs, sub._in_bytes, sub._out_msgs, sub.dropped]
    return [sub.sid, *counters, sub._slow, sub._scheduled, sub._active, lanes, seen]


# (kind, max_msgs, pending_msgs_limit, pending_bytes_limit, concurrency, scheduled
# already, slow already, messages already pending)
sub_specs = st.tuples(
    st.sampled_from(["callback", "queue", "reader"]),
    st.none() | st.integers(1, 4),
    st.integers(-1, 3),
    st.sampled_from([-1, 0, 3, 8, 20]),
    st.integers(1, 3),
    st.booleans(),
    st.booleans(),
    st.integers(0, 2),
)


def routed_to_subscriptions(
    compiled: bool, module: Any, frames: list[Any], specs: list[Any], fail_at: int
) -> list[Any]:
    """``routed`` through real subscriptions of ``module`` (a subscription.py), on
    the compiled route with its Delivery for them, or on the Python loop."""
    log: list[Any] = []

    def on_reader(msg: Any) -> None:
        log.append(("reader", fields(msg)["subject"]))
        if len(log) == fail_at:
            raise RuntimeError(f"reader callback failed at {fail_at}")

    router = module.Router.__new__(module.Router)  # only what handle() and the subs use
    router.link = FakeLink(log)
    router.dispatcher = FakeDispatcher(log, fail_at)
    router._on_frame = log.append
    router.in_msgs = router.in_bytes = 0
    router._subs = {}
    for sid, (kind, max_msgs, msgs_limit, bytes_limit, lanes, busy, slow, queued) in enumerate(
        specs, 1
    ):
        sub = module.Subscription(
            router,
            sid,
            "s",
            None,
            log.append if kind == "callback" else None,
            max_msgs,
            msgs_limit,
            bytes_limit,
            on_reader if kind == "reader" else None,
            lanes if kind == "callback" else 1,
        )
        sub._scheduled, sub._slow = busy and kind == "callback", slow
        sub._in_msgs, sub._in_bytes = queued, 3 * queued
        router._subs[sid] = sub
    subs = list(router._subs.values())
    assert speedups is not None
    router._route = speedups.route if compiled else None
    delivery = speedups.Delivery(module.Subscription) if compiled else None
    try:
        with mock.patch.object(module, "_delivery", delivery):
            router.handle(frames)
    except RuntimeError as exc:
        log.append(("raised", str(exc)))
    return [
        *log,
        [sub_state(s) for s in subs],
        router.in_msgs,
        router.in_bytes,
        sorted(router._subs),
    ]


@compiled_only
@settings(max_examples=300, deadline=None)
@pytest.mark.parametrize("api", ["_async", "_sync"])
@given(
    frames=st.lists(msg_frames | st.sampled_from(["PING"]), max_size=14),
    specs=st.lists(sub_specs, max_size=4),
    fail_at=st.integers(0, 14),
)
def test_same_routing_through_subscriptions(
    api: str, frames: list[Any], specs: list[Any], fail_at: int
) -> None:
    """The compiled route with its own _enqueue against Router.handle's loop and
    Subscription._enqueue: the same counters, drops, SlowConsumerError reports,
    queued messages and schedules (lanes, a subscription already scheduled, queue
    subscriptions, max_msgs), in the same order, also when a call fails."""
    module = importlib.import_module(f"natskit.{api}.subscription")
    compiled = routed_to_subscriptions(True, module, frames, specs, fail_at)
    assert compiled == routed_to_subscriptions(False, module, frames, specs, fail_at)


@compiled_only
def test_delivery_refuses_a_class_without_the_slots() -> None:
    assert speedups is not None
    with pytest.raises(AttributeError):
        speedups.Delivery(FakeSub)


# -- PUB templates --------------------------------------------------------------


@compiled_only
@settings(max_examples=200, deadline=None)
@given(
    subject=subjects,
    payloads=st.lists(
        st.binary(max_size=300) | st.binary(min_size=60_000, max_size=70_000), max_size=4
    ),
    sizes=st.lists(st.integers(0, 2**63 - 1), max_size=3),
)
def test_same_bytes_from_the_publish_templates(
    subject: str, payloads: list[bytes], sizes: list[int]
) -> None:
    """What publish() formats (``template % (size, payload)``) and what encode()
    returns are the same bytes with either kind of template, for any size."""
    compiled, pure = PubEncoder(False, compiled=True), PubEncoder(False, compiled=False)

    def encode(encoder: PubEncoder, payload: bytes) -> Any:
        try:
            return encoder.encode(subject, payload, None, None)
        except NatsError as exc:  # a subject that would break the PUB line
            return type(exc), str(exc)

    for payload in payloads:
        assert encode(compiled, payload) == encode(pure, payload)
        if subject not in pure.templates:
            assert subject not in compiled.templates
            continue
        for size in [len(payload), *sizes]:
            expected = pure.templates[subject] % (size, payload)
            assert compiled.templates[subject] % (size, payload) == expected


@compiled_only
def test_a_compiled_template_refuses_other_arguments() -> None:
    template = PubEncoder(False, compiled=True)
    template.encode("s", b"", None, None)
    t = template.templates["s"]
    for bad in [(1, bytearray(b"x")), (1.0, b"x"), (1,), "x", (1, b"x", 2)]:
        with pytest.raises(TypeError):
            t % bad  # type: ignore[operator]  # the error under test
    with pytest.raises(ValueError):
        t % (-1, b"x")
    with pytest.raises(OverflowError):
        t % (2**64, b"x")


# -- the switch ----------------------------------------------------------------


def accelerated_in_fresh_interpreter(value: str | None) -> str:
    env = {k: v for k, v in os.environ.items() if k != "NATSKIT_NO_EXTENSIONS"}
    if value is not None:
        env["NATSKIT_NO_EXTENSIONS"] = value
    code = "import natskit; print(natskit.accelerated)"
    return subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    ).stdout.strip()


def test_no_extensions_forces_pure_python() -> None:
    assert accelerated_in_fresh_interpreter("1") == "False"
    assert accelerated_in_fresh_interpreter(None) == str(BUILT)
    assert accelerated_in_fresh_interpreter("0") == str(BUILT)
