"""No secret in an error text, a repr or a log record, whatever the URL looks like."""

from __future__ import annotations

import logging
import re

import pytest

import natskit
from natskit.options import parse_url

SECRET = "Qx7S3cretPw"
URLS = [
    f"nats://alice:{SECRET}/tail@127.0.0.1:4222",  # a '/' in the password
    f"nats://alice:{SECRET}@127.0.0.1:99999",
    f"nats://alice:{SECRET}@[::1:4222",
    f"nats://{SECRET}@h:x",  # a token
    f"nats://alice:{SECRET}@h/path",
    f"foo://alice:{SECRET}@h",
    f"nats://alice:{SECRET}@h?x=1",
    f"nats://alice:{SECRET}@",
    f"alice:{SECRET}@h:4222:5",
    f"nats://alice:{SECRET}#frag@h",
    f"nats://alice:{SECRET}:more@h:4222",
    f"nats://alice@{SECRET}@h",
    f"ws://alice:{SECRET}@h:80/p?q",
    f"tls://:{SECRET}@h:x",
    f"nats://alice:{SECRET}@h:4222",  # a good one
    f"nats://{SECRET}@h:4222",
]


def shown(exc: BaseException) -> str:
    return f"{exc} {exc!r} {exc.args!r} {exc.__cause__!r} {exc.__context__!r}"


@pytest.mark.parametrize("url", URLS)
def test_url_secrets_stay_out_of_errors_and_reprs(
    url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="natskit")
    try:
        server = parse_url(url)
    except natskit.InvalidArgError as exc:
        assert SECRET not in shown(exc)
    else:
        assert SECRET not in repr(server)
    try:
        nc = natskit.Connection(url, password=SECRET, token=SECRET, connect_timeout=0.01)
    except natskit.InvalidArgError as exc:
        assert SECRET not in shown(exc)
    else:
        assert SECRET not in f"{nc!r} {nc.options!r} {nc.servers!r}"
    assert SECRET not in caplog.text


def creds_text(seed: str) -> str:
    return (
        "-----BEGIN NATS USER JWT-----\neyJhbGciOiJlZDI1NTE5In0.e30.sig\n"
        "------END NATS USER JWT------\n"
        f"-----BEGIN USER NKEY SEED-----\n{seed}\n------END USER NKEY SEED------\n"
    )


@pytest.mark.parametrize(
    "options",
    [
        {"creds": "not a creds file\nSUAMSECRETSEEDTEXT"},
        {"creds": "SUAMSECRETSEEDTEXTSUAMSECRETSEEDTEXT"},
        {"creds": "eyJSECRETJWT.e30.sig"},
        {"creds": creds_text("SUAMSECRETBROKEN")},
        {"nkey_seed": "SUAMSECRETBROKEN"},
        {"nkey_seed": "SECRET with spaces, not a seed"},
    ],
)
def test_credential_secrets_stay_out_of_errors(options: dict[str, str]) -> None:
    """A creds text or seed given where a file was expected, or a broken one,
    is refused without being quoted."""
    from natskit.connect_fields import connect_fields
    from natskit.options import Options

    opts = Options.build("nats://h:4222", options)
    with pytest.raises(natskit.InvalidArgError) as info:
        connect_fields(opts, parse_url("nats://h:4222"), {"nonce": "n"}, False)
    assert "SECRET" not in shown(info.value)
    assert "SECRET" not in repr(opts)


def test_a_path_that_does_not_exist_is_named() -> None:
    from natskit.connect_fields import connect_fields
    from natskit.options import Options

    opts = Options.build("nats://h:4222", {"creds": "/no/such/user.creds"})
    with pytest.raises(natskit.InvalidArgError, match=re.escape("/no/such/user.creds")):
        connect_fields(opts, parse_url("nats://h:4222"), {}, False)


def test_jwt_and_credential_functions_stay_out_of_reprs() -> None:
    nc = natskit.Connection(
        "nats://127.0.0.1:1",
        jwt=f"eyJ{SECRET}",
        signature_cb=lambda nonce: SECRET.encode(),
        token=lambda: SECRET,
    )
    assert SECRET not in f"{nc!r} {nc.options!r}"
    assert "signature_cb" not in repr(nc.options) and "jwt" not in repr(nc.options)
