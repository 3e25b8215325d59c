"""Tests of natskit.nkeys: encoding, known vectors, signatures, .creds parsing."""

from __future__ import annotations

import base64
import sys
from pathlib import Path

import pytest

from natskit import nkeys
from natskit.errors import InvalidArgError

# Published test pairs of the NATS ecosystem (nats.rs and nkeys ports' test suites).
VECTOR_SEED = "SUANQDPB2RUOE4ETUA26CNX7FUKE5ZZKFCQIIW63OX225F2CO7UEXTM7ZY"
VECTOR_PUBLIC = "UAMMBNV2EYR65NYZZ7IAK5SIR5ODNTTERJOBOF4KJLMWI45YOXOSWULM"
SIGNED_SEED = "SUAMLK2ZNL35WSMW37E7UD4VZ7ELPKW7DHC3BWBSD2GCZ7IUQQXZIORRBU"
SIGNED_PUBLIC = "UCK5N7N66OBOINFXAYC2ACJQYFSOD4VYNU6APEJTAVFZB2SVHLKGEW7L"
SIGNED_NONCE = b"PXoWU7zWAMt75FY"
SIGNATURE_B64 = (
    "ZaAiVDgB5CeYoXoQ7cBCmq+ZllzUnGUoDVb8C7PilWvCs8XKfUchAUhz2P4BYAF++Dg3w05CqyQFRDiGL6LrDw=="
)

KINDS = {"user": "U", "account": "A", "operator": "O", "server": "N"}


def test_known_vectors() -> None:
    pair = nkeys.from_seed(VECTOR_SEED)
    assert pair.public_key == VECTOR_PUBLIC
    assert pair.kind == "user"
    assert pair.seed == VECTOR_SEED
    signer = nkeys.from_seed(SIGNED_SEED)
    assert signer.public_key == SIGNED_PUBLIC
    sig = signer.sign(SIGNED_NONCE)  # ed25519 is deterministic
    assert base64.b64encode(sig).decode() == SIGNATURE_B64
    assert nkeys.from_public(SIGNED_PUBLIC).verify(SIGNED_NONCE, sig)


@pytest.mark.parametrize(("kind", "letter"), KINDS.items())
def test_create_round_trip(kind: str, letter: str) -> None:
    pair = nkeys.create(kind)
    assert pair.kind == kind
    assert pair.public_key.startswith(letter) and len(pair.public_key) == 56
    assert pair.seed.startswith("S" + letter) and len(pair.seed) == 58
    again = nkeys.from_seed(pair.seed)
    assert again.public_key == pair.public_key
    decoded_kind, raw = nkeys.decode_public(pair.public_key)
    assert decoded_kind == kind and len(raw) == 32
    sig = again.sign(b"data")
    assert len(sig) == 64
    assert pair.verify(b"data", sig)


def test_from_seed_accepts_bytes_and_surrounding_whitespace() -> None:
    assert nkeys.from_seed(f"  {VECTOR_SEED}\n".encode()).public_key == VECTOR_PUBLIC


def test_verify_rejects_wrong_data_signature_and_key() -> None:
    pair = nkeys.create("user")
    sig = pair.sign(b"nonce")
    assert not pair.verify(b"other", sig)
    assert not pair.verify(b"nonce", sig[:-1] + bytes([sig[-1] ^ 1]))
    assert not pair.verify(b"nonce", b"short")
    assert not nkeys.create("user").verify(b"nonce", sig)


def test_public_only_pair_verifies_but_cannot_sign() -> None:
    pair = nkeys.create("account")
    public = nkeys.from_public(pair.public_key)
    assert public.public_key == pair.public_key and public.kind == "account"
    assert public.verify(b"x", pair.sign(b"x"))
    with pytest.raises(InvalidArgError, match="public-only"):
        public.sign(b"x")
    with pytest.raises(InvalidArgError, match="no seed"):
        _ = public.seed


def test_checksum_failure() -> None:
    public = nkeys.create("user").public_key
    middle = len(public) // 2
    swapped = "B" if public[middle] != "B" else "C"
    with pytest.raises(InvalidArgError, match="checksum"):
        nkeys.decode_public(public[:middle] + swapped + public[middle + 1 :])


def test_seed_errors_never_quote_the_seed() -> None:
    seed = nkeys.create("user").seed
    middle = len(seed) // 2
    bad = seed[:middle] + ("B" if seed[middle] != "B" else "C") + seed[middle + 1 :]
    for text in (bad, seed[:-3], seed.lower(), seed + "!"):
        with pytest.raises(InvalidArgError) as excinfo:
            nkeys.from_seed(text)
        assert seed[2:20] not in str(excinfo.value)
        assert text not in str(excinfo.value)


def test_wrong_prefixes() -> None:
    pair = nkeys.create("user")
    with pytest.raises(InvalidArgError, match="not a seed"):
        nkeys.from_seed(pair.public_key)
    with pytest.raises(InvalidArgError, match="unknown key type"):
        nkeys.decode_public(pair.seed)
    raw = nkeys.decode_public(pair.public_key)[1]
    cluster_key = nkeys._encode(bytes([2 << 3]), raw)  # a valid NKey of an unsupported kind
    with pytest.raises(InvalidArgError, match="unknown key type"):
        nkeys.decode_public(cluster_key)
    cluster_seed = nkeys._encode(bytes([18 << 3, 2 << 6]), raw)
    with pytest.raises(InvalidArgError, match="unknown key type"):
        nkeys.from_seed(cluster_seed)


@pytest.mark.parametrize("text", ["", "U", "UAB", "not base32!", "uamm"])
def test_malformed_public_keys(text: str) -> None:
    with pytest.raises(InvalidArgError, match="invalid NKey public key"):
        nkeys.decode_public(text)


def test_create_rejects_unknown_kind() -> None:
    with pytest.raises(InvalidArgError, match="unknown NKey kind 'cluster'"):
        nkeys.create("cluster")


def test_repr_hides_the_seed() -> None:
    pair = nkeys.from_seed(VECTOR_SEED)
    assert repr(pair) == f"<KeyPair user {VECTOR_PUBLIC}>"


def test_missing_cryptography(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "cryptography.hazmat.primitives.asymmetric.ed25519", None)
    with pytest.raises(InvalidArgError, match=r"pip install natskit\[nkeys\]"):
        nkeys.from_seed(VECTOR_SEED)
    with pytest.raises(InvalidArgError, match=r"pip install natskit\[nkeys\]"):
        nkeys.from_public(VECTOR_PUBLIC)


JWT = "eyJ0eXAiOiJKV1QiLCJhbGciOiJlZDI1NTE5LW5rZXkifQ.eyJzdWIiOiJVIn0.c2ln"

CREDS = f"""-----BEGIN NATS USER JWT-----
{JWT}
------END NATS USER JWT------

************************* IMPORTANT *************************
NKEY Seed printed below can be used to sign and prove identity.
NKEYs are sensitive and should be treated as secrets.

-----BEGIN USER NKEY SEED-----
{VECTOR_SEED}
------END USER NKEY SEED------

*************************************************************
"""


def test_read_creds() -> None:
    assert nkeys.read_creds(CREDS) == (JWT, VECTOR_SEED)


def test_read_creds_is_lenient_about_dashes_indentation_and_line_ends() -> None:
    text = (
        f"\t---BEGIN NATS USER JWT---\r\n\t{JWT}\r\n\t---------END NATS USER JWT---\r\n"
        f"\t--- BEGIN USER NKEY SEED ---\r\n\t{VECTOR_SEED}  \r\n\t---END USER NKEY SEED---\r\n"
    )
    assert nkeys.read_creds(text) == (JWT, VECTOR_SEED)


def test_read_creds_missing_parts() -> None:
    jwt_only = CREDS.split("****")[0]
    with pytest.raises(InvalidArgError, match="no NKey seed") as excinfo:
        nkeys.read_creds(jwt_only)
    assert JWT not in str(excinfo.value)
    seed_only = CREDS[CREDS.index("-----BEGIN USER NKEY SEED") :]
    with pytest.raises(InvalidArgError, match="no user JWT") as excinfo:
        nkeys.read_creds(seed_only)
    assert VECTOR_SEED not in str(excinfo.value)
    with pytest.raises(InvalidArgError, match="no user JWT"):
        nkeys.read_creds("")


def test_a_malformed_nkey_seed_option_is_not_quoted(tmp_path: Path) -> None:
    from natskit.connect_fields import _seed_text

    seed = nkeys.create("user").seed
    assert _seed_text(f" {seed}\n") == seed
    (tmp_path / "seed.txt").write_text(seed + "\n")
    assert _seed_text(str(tmp_path / "seed.txt")) == seed
    for broken in (seed[:-1], seed + "AB"):  # a typo: still a seed, never a file name
        text = _seed_text(broken)
        with pytest.raises(InvalidArgError) as info:
            nkeys.from_seed(text)
        assert broken not in str(info.value)
    with pytest.raises(InvalidArgError, match="cannot read"):
        _seed_text(str(tmp_path / "missing.txt"))
