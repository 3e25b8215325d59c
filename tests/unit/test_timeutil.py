"""Tests of RFC 3339 time helpers."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from natskit.errors import InvalidArgError
from natskit.timeutil import format_time, format_time_ns, parse_time, parse_time_ns

UTC = timezone.utc


@pytest.mark.parametrize(
    ("text", "expected", "ns"),
    [
        (
            "2022-11-22T13:31:35.4514983Z",
            datetime(2022, 11, 22, 13, 31, 35, 451498, UTC),
            1669123895_451498300,
        ),
        (
            "2024-01-30T16:50:02+01:00",
            datetime(2024, 1, 30, 15, 50, 2, tzinfo=UTC),
            1706629802_000000000,
        ),
        ("0001-01-01T00:00:00Z", datetime(1, 1, 1, tzinfo=UTC), -62135596800_000000000),
        ("1970-01-01T00:00:00.000000001Z", datetime(1970, 1, 1, tzinfo=UTC), 1),
        ("1969-12-31T23:59:59.999999999Z", datetime(1969, 12, 31, 23, 59, 59, 999999, UTC), -1),
        ("2020-02-29t23:30:00.5-02:30", datetime(2020, 3, 1, 2, 0, 0, 500000, UTC), None),
        ("9999-12-31T23:59:59.123z", datetime(9999, 12, 31, 23, 59, 59, 123000, UTC), None),
    ],
)
def test_parse(text: str, expected: datetime, ns: int | None) -> None:
    parsed = parse_time(text)
    assert parsed == expected and parsed.tzinfo is UTC
    if ns is not None:
        assert parse_time_ns(text) == ns


def test_parse_ns_keeps_all_digits() -> None:
    assert parse_time_ns("2022-11-22T13:31:35.4514983Z") % 1_000_000_000 == 451498300
    assert parse_time_ns("2022-11-22T13:31:35.123456789+00:00") % 1_000_000_000 == 123456789
    assert parse_time_ns("0001-01-01T00:30:00+01:00") == -62135596800_000000000 - 1800 * 10**9


@pytest.mark.parametrize(
    "text",
    [
        "",
        "2022-11-22",
        "2022-11-22T13:31:35",
        "2022-11-22 13:31:35Z",
        "2022-11-22T13:31:35.Z",
        "2022-11-22T13:31:35.1234567890Z",
        "2022-13-22T13:31:35Z",
        "2022-02-30T13:31:35Z",
        "2022-11-22T24:00:00Z",
        "2022-11-22T13:31:60Z",
        "2022-11-22T13:31:35+24:00",
        "2022-11-22T13:31:35+01:60",
        "2022-11-22T13:31:35+0100",
        " 2022-11-22T13:31:35Z",
        "2022-11-22T13:31:35Z ",
        "\uff12\uff10\uff12\uff12-11-22T13:31:35Z",  # full-width digits
        "0001-01-01T00:00:00+01:00",
    ],
)
def test_parse_invalid(text: str) -> None:
    with pytest.raises(InvalidArgError):
        parse_time(text)
    if text != "0001-01-01T00:00:00+01:00":  # in range as nanoseconds
        with pytest.raises(InvalidArgError):
            parse_time_ns(text)


def test_format() -> None:
    assert format_time(datetime(2022, 11, 22, 13, 31, 35, tzinfo=UTC)) == "2022-11-22T13:31:35Z"
    assert format_time(datetime(2022, 11, 22, 13, 31, 35, 4500)) == "2022-11-22T13:31:35.004500Z"
    plus_one = timezone(timedelta(hours=1))
    assert format_time(datetime(2024, 1, 30, 16, 50, 2, tzinfo=plus_one)) == "2024-01-30T15:50:02Z"
    assert format_time(datetime(1, 1, 1)) == "0001-01-01T00:00:00Z"
    with pytest.raises(InvalidArgError):
        format_time(datetime(1, 1, 1, tzinfo=plus_one))


def test_format_ns() -> None:
    assert format_time_ns(0) == "1970-01-01T00:00:00.000000000Z"
    assert format_time_ns(-1) == "1969-12-31T23:59:59.999999999Z"
    assert format_time_ns(1669123895_451498300) == "2022-11-22T13:31:35.451498300Z"
    assert format_time_ns(-62135596800_000000000) == "0001-01-01T00:00:00.000000000Z"
    with pytest.raises(InvalidArgError):
        format_time_ns(-62135596800_000000001)
    with pytest.raises(InvalidArgError):
        format_time_ns(10**30)


@settings(max_examples=200, deadline=None)
@given(dt=st.datetimes(timezones=st.just(UTC)))
def test_datetime_round_trip(dt: datetime) -> None:
    assert parse_time(format_time(dt)) == dt


@settings(max_examples=200, deadline=None)
@given(ns=st.integers(-62135596800_000000000, 253402300799_999999999))
def test_ns_round_trip(ns: int) -> None:
    assert parse_time_ns(format_time_ns(ns)) == ns


@settings(max_examples=300, deadline=None)
@given(
    st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31)),
    st.integers(min_value=0, max_value=9),
    st.integers(min_value=0, max_value=999_999_999),
)
def test_server_form_read_as_any_rfc3339(dt: datetime, digits: int, frac: int) -> None:
    """The server's form (UTC, "Z", 0-9 digits: the shortcut through fromisoformat)
    gives what the same time written with an explicit +00:00 offset gives."""
    fraction = f".{frac:09d}"[: digits + 1] if digits else ""
    base = dt.replace(microsecond=0).isoformat()
    parsed = parse_time(f"{base}{fraction}Z")
    assert parsed == parse_time(f"{base}{fraction}+00:00")
    assert parsed.tzinfo is timezone.utc
    assert parsed.microsecond == int(fraction[1:7].ljust(6, "0") or 0)
