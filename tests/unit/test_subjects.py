"""Tests of subject, queue and name checks (ADR-6)."""

from __future__ import annotations

import threading

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from natskit._protocol import subjects
from natskit._protocol.subjects import check_name, check_queue, check_subject, encode_subject
from natskit.errors import BadQueueNameError, BadSubjectError, InvalidArgError


def reference_valid(subject: str, wildcards: bool) -> bool:
    """A deliberately naive, character-by-character statement of the rules."""
    if subject == "":
        return False
    for c in subject:
        if c.isspace():
            return False
    tokens = subject.split(".")
    for i, token in enumerate(tokens):
        if token == "":
            return False
        if ("*" in token or ">" in token) and (token not in ("*", ">") or not wildcards):
            return False  # a wildcard is a whole token, in a subscription (Tcl rules)
        if token == ">" and i != len(tokens) - 1:
            return False
    return True


subject_text = st.text(
    st.sampled_from(["a", "b", "é", ".", "*", ">", " ", "\t", "\r", "\n", "\u00a0", "\u2028"]),
    max_size=12,
)


@settings(max_examples=200, deadline=None)
@given(subject=subject_text, wildcards=st.booleans())
def test_agrees_with_reference(subject: str, wildcards: bool) -> None:
    expected = reference_valid(subject, wildcards)
    try:
        check_subject(subject, wildcards=wildcards)
    except BadSubjectError:
        assert not expected
    else:
        assert expected
    try:
        encoded = encode_subject(subject, check=True, wildcards=wildcards)
    except BadSubjectError:
        assert not expected
    else:
        assert expected and encoded == subject.encode()


@pytest.mark.parametrize("subject", ["foo", "foo.bar", "$JS.API.INFO", "FOO.ba_r", "a-b.c", "é.ü"])
def test_valid_subjects(subject: str) -> None:
    check_subject(subject)
    check_subject(subject, wildcards=True)


@pytest.mark.parametrize(
    "subject",
    ["", " ", "foo bar", "foo\tbar", "foo\r", "foo\n", "a\u00a0b", ".foo", "foo.", "a..b", "."],
)
def test_invalid_subjects(subject: str) -> None:
    with pytest.raises(BadSubjectError):
        check_subject(subject)
    with pytest.raises(BadSubjectError):
        check_subject(subject, wildcards=True)


@pytest.mark.parametrize("subject", ["*", ">", "foo.*", "foo.>", "*.foo", "a.*.>"])
def test_wildcards(subject: str) -> None:
    check_subject(subject, wildcards=True)
    with pytest.raises(BadSubjectError, match="wildcard"):
        check_subject(subject)


@pytest.mark.parametrize("subject", ["foo*", "foo>", "foo.*bar", "*foo.*", "fo*o", "a>.b"])
def test_wildcards_are_whole_tokens(subject: str) -> None:
    """The Tcl client's subjects_regex cases: no wildcard inside a token."""
    with pytest.raises(BadSubjectError, match="wildcard"):
        check_subject(subject, wildcards=True)
    with pytest.raises(BadSubjectError, match="wildcard"):
        check_subject(subject)


@pytest.mark.parametrize("subject", [">.foo", "a.>.b", ">.>"])
def test_full_wildcard_must_be_last(subject: str) -> None:
    with pytest.raises(BadSubjectError, match="last token"):
        check_subject(subject, wildcards=True)


def test_error_names_subject() -> None:
    with pytest.raises(BadSubjectError, match="'foo bar'"):
        check_subject("foo bar")


def test_queue() -> None:
    check_queue("workers")
    check_queue("a.b")
    for bad in ("", "a b", "a\tb", "a\n", "q*", "q.*", ">", "a.b*>"):
        with pytest.raises(BadQueueNameError):
            check_queue(bad)


def test_name() -> None:
    check_name("ORDERS")
    check_name("my-stream_2", "stream name")
    for bad in ("", "a b", "a.b", "a*", "a>", "a/b", "a\\b", "a\x00", "a\tb", "a\u00a0b"):
        with pytest.raises(InvalidArgError):
            check_name(bad)
    with pytest.raises(InvalidArgError, match="stream name"):
        check_name("a.b", "stream name")


def test_encode_subject_cache() -> None:
    first = encode_subject("cache.test", check=True)
    assert encode_subject("cache.test", check=True) is first
    assert encode_subject("cache.test", check=False) == b"cache.test"
    # A subject checked with wildcards allowed is not cached for publishing.
    assert encode_subject("cache.*", check=True, wildcards=True) == b"cache.*"
    with pytest.raises(BadSubjectError):
        encode_subject("cache.*", check=True)
    assert encode_subject("bad..subject", check=False) == b"bad..subject"
    with pytest.raises(BadSubjectError):
        encode_subject("bad..subject", check=True)


def test_unchecked_subjects_keep_the_protocol_line_intact() -> None:
    # check=False skips ADR-6, not what would break (or inject into) the PUB line.
    for bad in ("bad subject", "a\r\nSUB > 1", "a\tb", ""):
        with pytest.raises(BadSubjectError):
            encode_subject(bad, check=False)


def test_checks_reject_non_str_with_natskit_errors() -> None:
    for value in (5, None, b"a.b"):
        with pytest.raises(BadSubjectError):
            check_subject(value)  # type: ignore[arg-type]
        with pytest.raises(BadSubjectError):
            encode_subject(value, check=False)  # type: ignore[arg-type]
        with pytest.raises(BadQueueNameError):
            check_queue(value)  # type: ignore[arg-type]
        with pytest.raises(InvalidArgError):
            check_name(value)  # type: ignore[arg-type]


def test_encode_subject_cache_is_bounded() -> None:
    for i in range(subjects._CACHE_MAX * 2 + 10):
        encode_subject(f"bound.{i}", check=True)
        assert len(subjects._cache) <= subjects._CACHE_MAX


def test_encode_subject_unencodable() -> None:
    for check in (True, False):
        with pytest.raises(BadSubjectError, match="UTF-8"):
            encode_subject("a\udc80", check=check)


def test_encode_subject_threads() -> None:
    errors: list[BaseException] = []

    def work(n: int) -> None:
        try:
            for i in range(3000):
                s = f"t{n}.{i % 700}"
                assert encode_subject(s, check=True) == s.encode()
        except BaseException as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
