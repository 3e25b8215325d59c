"""NKeys: the ed25519 identities of NATS, as prefixed, checksummed base32 text.

A public key is base32 (RFC 4648, no padding) of one prefix byte, the 32-byte
ed25519 public key and a CRC16 (XMODEM, little-endian) of both; its first
letter tells the kind (``U`` user, ``A`` account, ``O`` operator, ``N``
server). A seed holds the 32-byte ed25519 private seed behind two prefix
bytes that spell ``S`` and the kind's letter (``SU...``, ``SA...``).

Signing needs the optional ``cryptography`` package
(``pip install natskit[nkeys]``); it is imported on first use. Errors are
:class:`~natskit.errors.InvalidArgError` and never quote a seed.
"""

from __future__ import annotations

import base64
import binascii
import os
import re
from typing import TYPE_CHECKING

from .errors import InvalidArgError

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric import ed25519

__all__ = ["KeyPair", "create", "decode_public", "from_public", "from_seed", "read_creds"]

_PREFIX_SEED = 18 << 3
_PREFIXES = {"operator": 14 << 3, "account": 0, "user": 20 << 3, "server": 13 << 3}
_KINDS = {prefix: kind for kind, prefix in _PREFIXES.items()}
_KEY_LEN = 32
B32_ALPHABET = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
_NO_CRYPTOGRAPHY = (
    "NKey authentication needs the 'cryptography' package: pip install natskit[nkeys]"
)
# A .creds block: a BEGIN line, the value, an END line; dashes in any number >= 3.
_CREDS_BLOCK = re.compile(
    r"-{3,}[ \t]*BEGIN[ \t]+([^\r\n]*?)[ \t]*-{3,}[ \t]*\r?\n"
    r"(.*?)"
    r"\r?\n[ \t]*-{3,}[ \t]*END\b",
    re.DOTALL,
)


def _private_key(raw: bytes) -> ed25519.Ed25519PrivateKey:
    try:
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    except ImportError:
        raise InvalidArgError(_NO_CRYPTOGRAPHY) from None
    return Ed25519PrivateKey.from_private_bytes(raw)


def _public_key(raw: bytes) -> ed25519.Ed25519PublicKey:
    try:
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
    except ImportError:
        raise InvalidArgError(_NO_CRYPTOGRAPHY) from None
    return Ed25519PublicKey.from_public_bytes(raw)


def _encode(prefix: bytes, payload: bytes) -> str:
    raw = prefix + payload
    raw += binascii.crc_hqx(raw, 0).to_bytes(2, "little")
    return base64.b32encode(raw).decode("ascii").rstrip("=")


def _decode(text: str, what: str) -> bytes:
    """Base32-decode ``text`` and check its CRC; return prefix and payload."""
    if not text or not set(text) <= B32_ALPHABET:
        raise InvalidArgError(f"invalid {what}: not base32 text")
    try:
        raw = base64.b32decode(text + "=" * (-len(text) % 8))
    except binascii.Error:
        raise InvalidArgError(f"invalid {what}: bad base32 length") from None
    if len(raw) < 4:
        raise InvalidArgError(f"invalid {what}: too short")
    body, crc = raw[:-2], int.from_bytes(raw[-2:], "little")
    if binascii.crc_hqx(body, 0) != crc:
        raise InvalidArgError(f"invalid {what}: checksum mismatch")
    return body


class KeyPair:
    """An NKey: a public key, and the private key when made from a seed.

    ``kind`` is ``"user"``, ``"account"``, ``"operator"`` or ``"server"``.
    """

    __slots__ = ("_private", "_public", "_seed", "kind", "public_key")

    def __init__(
        self,
        kind: str,
        public: ed25519.Ed25519PublicKey,
        private: ed25519.Ed25519PrivateKey | None = None,
        seed: str | None = None,
    ) -> None:
        self.kind = kind
        self._public = public
        self._private = private
        self._seed = seed
        raw = public.public_bytes_raw()
        self.public_key: str = _encode(bytes([_PREFIXES[kind]]), raw)

    def __repr__(self) -> str:
        return f"<KeyPair {self.kind} {self.public_key}>"

    @property
    def seed(self) -> str:
        """The encoded seed (``S...``); InvalidArgError for a public-only pair."""
        if self._seed is None:
            raise InvalidArgError("this NKey has no seed (made from a public key)")
        return self._seed

    def sign(self, data: bytes) -> bytes:
        """The 64-byte ed25519 signature of ``data``."""
        if self._private is None:
            raise InvalidArgError("cannot sign with a public-only NKey")
        return self._private.sign(data)

    def verify(self, data: bytes, sig: bytes) -> bool:
        """Whether ``sig`` is this key's signature of ``data``."""
        from cryptography.exceptions import InvalidSignature

        try:
            self._public.verify(sig, data)
        except InvalidSignature:
            return False
        return True


def from_seed(seed: str | bytes) -> KeyPair:
    """The key pair of an encoded seed (``SU...``, ``SA...``, ``SO...``, ``SN...``)."""
    text = seed.decode("ascii", "replace") if isinstance(seed, bytes) else seed
    text = text.strip()
    raw = _decode(text, "NKey seed")
    if len(raw) != 2 + _KEY_LEN or raw[0] & 0xF8 != _PREFIX_SEED:
        raise InvalidArgError("invalid NKey seed: not a seed")
    kind = _KINDS.get(((raw[0] & 0x07) << 5) | (raw[1] >> 3))
    if kind is None:
        raise InvalidArgError("invalid NKey seed: unknown key type")
    private = _private_key(raw[2:])
    return KeyPair(kind, private.public_key(), private, text)


def _seed_text(kind: str, raw_seed: bytes) -> str:
    prefix = _PREFIXES[kind]
    return _encode(bytes([_PREFIX_SEED | prefix >> 5, (prefix & 0x1F) << 3]), raw_seed)


def create(kind: str) -> KeyPair:
    """A new random key pair of ``kind``: operator, account, user or server."""
    if kind not in _PREFIXES:
        raise InvalidArgError(f"unknown NKey kind {kind!r}: use one of {sorted(_PREFIXES)}")
    return from_seed(_seed_text(kind, os.urandom(_KEY_LEN)))


def decode_public(key: str) -> tuple[str, bytes]:
    """The kind and the raw 32-byte ed25519 key of an encoded public key."""
    raw = _decode(key, "NKey public key")
    kind = _KINDS.get(raw[0])
    if kind is None or len(raw) != 1 + _KEY_LEN:
        raise InvalidArgError("invalid NKey public key: unknown key type")
    return kind, raw[1:]


def from_public(key: str) -> KeyPair:
    """A public-only key pair (it can verify, not sign)."""
    kind, raw = decode_public(key)
    return KeyPair(kind, _public_key(raw))


def read_creds(text: str) -> tuple[str, str]:
    """The user JWT and the NKey seed of a ``.creds`` file's text.

    The file has a ``-----BEGIN NATS USER JWT-----`` block and a
    ``-----BEGIN USER NKEY SEED-----`` block, each closed by an END line; the
    number of dashes does not matter.
    """
    jwt = seed = None
    for match in _CREDS_BLOCK.finditer(text):
        label, value = match.group(1).upper(), "".join(match.group(2).split())
        if jwt is None and "JWT" in label:
            jwt = value
        elif seed is None and "SEED" in label:
            seed = value
    if not jwt:
        raise InvalidArgError("credentials: no user JWT block found")
    if not seed:
        raise InvalidArgError("credentials: no NKey seed block found")
    return jwt, seed
