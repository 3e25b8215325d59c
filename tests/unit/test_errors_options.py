"""Error classes, option checks and server URLs (no server needed)."""

from __future__ import annotations

import builtins
import math
import threading

import pytest

import natskit
from natskit import errors
from natskit.options import Options, build_pool, parse_url
from natskit.server_errors import error_from_server, is_fatal


@pytest.mark.parametrize("name", errors.__all__)
def test_every_error_is_a_nats_error_with_a_code(name: str) -> None:
    cls = getattr(natskit, name)
    assert issubclass(cls, natskit.NatsError)
    assert cls.code.startswith("Err")


def test_codes_match_the_tcl_names() -> None:
    assert natskit.TimeoutError.code == "ErrTimeout"
    assert natskit.ConnectionClosedError.code == "ErrConnectionClosed"
    assert natskit.NoRespondersError.code == "ErrNoResponders"
    assert natskit.ReconnectBufferExceededError.code == "ErrReconnectBufExceeded"
    assert natskit.JetStreamError.code == "ErrJSResponse"
    assert natskit.StreamNotFoundError.code == "ErrStreamNotFound"
    assert natskit.KeyNotFoundError.code == "ErrKeyNotFound"
    assert natskit.WrongLastSequenceError.code == "ErrWrongLastSequence"


def test_builtin_bases() -> None:
    assert issubclass(natskit.TimeoutError, builtins.TimeoutError)
    assert issubclass(natskit.InvalidArgError, ValueError)
    assert issubclass(natskit.BadSubjectError, natskit.InvalidArgError)


def test_jetstream_error_fields() -> None:
    err = natskit.StreamNotFoundError("stream not found", status=404, err_code=10059)
    assert (err.status, err.err_code, err.description) == (404, 10059, "stream not found")


@pytest.mark.parametrize(
    ("text", "cls", "fatal"),
    [
        ("Stale Connection", natskit.StaleConnectionError, True),
        ('Permissions Violation for Publish to "x"', natskit.PermissionsError, False),
        ("Authorization Violation", natskit.AuthorizationError, True),
        ("User Authentication Expired", natskit.AuthExpiredError, True),
        ("User Authentication Revoked", natskit.AuthRevokedError, True),
        ("Account Authentication Expired", natskit.AccountAuthExpiredError, True),
        ("Invalid Subject", natskit.BadSubjectError, False),
        ("Maximum Payload Violation", natskit.MaxPayloadError, True),
        ("Unknown Protocol Operation", natskit.ServerError, True),
    ],
)
def test_server_error_mapping(text: str, cls: type[natskit.NatsError], fatal: bool) -> None:
    err = error_from_server(text)
    assert type(err) is cls
    assert str(err) == text
    assert is_fatal(err) is fatal


@pytest.mark.parametrize(
    ("url", "host", "port", "scheme"),
    [
        ("nats://127.0.0.1:4222", "127.0.0.1", 4222, "nats"),
        ("127.0.0.1", "127.0.0.1", 4222, "nats"),
        ("localhost:5000", "localhost", 5000, "nats"),
        ("tls://example.org", "example.org", 4222, "tls"),
        ("nats://[::1]:4333", "::1", 4333, "nats"),
        ("ws://example.org", "example.org", 80, "ws"),
        ("wss://example.org", "example.org", 443, "wss"),
        ("ws://h:8080/", "h", 8080, "ws"),
    ],
)
def test_parse_url(url: str, host: str, port: int, scheme: str) -> None:
    server = parse_url(url)
    assert server.address == natskit.ServerAddress(host, port, scheme)


def test_websocket_urls_may_have_a_path() -> None:
    assert parse_url("wss://proxy.example/nats/ws").address == natskit.ServerAddress(
        "proxy.example", 443, "wss", "/nats/ws"
    )


def test_url_credentials() -> None:
    s = parse_url("nats://bob:p%40ss@host:1")
    assert (s.user, s.password, s.token) == ("bob", "p@ss", None)
    t = parse_url("nats://s3cr3t@host")
    assert (t.user, t.password, t.token) == (None, None, "s3cr3t")


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "http://x",
        "nats://",
        "nats://h:99999",
        "nats://h/path",
        "nats://h:port",
        "tls://h/path",
        "ws://h/p?q=1",
    ],
)
def test_bad_urls(bad: str) -> None:
    with pytest.raises(natskit.InvalidArgError):
        parse_url(bad)


def test_pool_removes_duplicates_and_keeps_order_without_randomize() -> None:
    pool = build_pool(["nats://a:1", "a:1", "nats://b:2"], randomize=False)
    assert [s.address.host for s in pool] == ["a", "b"]
    with pytest.raises(natskit.InvalidArgError):
        build_pool([], randomize=False)


def test_options_defaults_and_checks() -> None:
    opts = Options.build(None, {})
    assert opts.servers == ["nats://127.0.0.1:4222"]
    assert opts.reconnect_buffer_size == 8 * 1024 * 1024
    assert opts.pending_bytes_limit == 64 * 1024 * 1024
    with pytest.raises(natskit.InvalidArgError, match="bogus"):
        Options.build(None, {"bogus": 1})
    with pytest.raises(natskit.BadTimeoutError):
        Options.build(None, {"request_timeout": "soon"})
    with pytest.raises(natskit.InvalidArgError):
        Options.build(None, {"inbox_prefix": "has space"})
    bad_values = [
        ("inbox_prefix", 5),
        ("inbox_prefix", "a..b"),
        ("tls", True),
        ("max_reconnect_attempts", "3"),
        ("pending_msgs_limit", 1.5),
        ("pending_msgs_limit", 0),  # keeps nothing: an error, as in nats.go (-1: no limit)
        ("pending_bytes_limit", -2),
        ("reconnect_buffer_size", None),
    ]
    for name, value in bad_values:
        with pytest.raises(natskit.InvalidArgError, match=name):
            Options.build(None, {name: value})
    # A timeout too long for the blocking API's waits is cut to the longest they take.
    assert Options.build(None, {"ping_interval": math.inf}).ping_interval == threading.TIMEOUT_MAX


def test_msg_value_type() -> None:
    msg = natskit.Msg("s", "text", reply="r", headers={"A": "1"})
    assert msg.data == b"text"
    assert msg.text == "text"
    assert msg.headers["A"] == "1"
    assert msg == natskit.Msg("s", b"text", "r", {"A": "1"})
    assert natskit.Msg("s").headers == natskit.Headers()
    assert not natskit.Msg("s").is_no_responders
    assert natskit.Msg("s", bytearray(b"ab")).data == b"ab"
    for bad in (5, None, [1, 2]):  # bytes(5) would be five NUL bytes
        with pytest.raises(natskit.InvalidArgError):
            natskit.Msg("s", bad)  # type: ignore[arg-type]


def test_options_and_servers_hide_secrets_in_repr() -> None:
    from natskit.options import parse_url

    opts = Options.build(
        ["nats://ann:s3cret@h:4222", "t0ken@x"],
        {"password": "pw-x", "token": "tk-x", "nkey_seed": "SU-x"},
    )
    for text in (repr(opts), repr(parse_url("nats://ann:s3cret@h")), repr(parse_url("t0ken@x"))):
        for secret in ("s3cret", "t0ken", "pw-x", "tk-x", "SU-x"):
            assert secret not in text
    assert "nats://***@h:4222" in repr(opts)
