"""Certificates and server configurations for TLS tests. Needs ``cryptography``.

:func:`make_certs` writes a private CA, a server certificate for
``localhost`` and ``127.0.0.1`` and a client certificate as PEM files;
:func:`tls_config` turns them into nats-server's ``tls { ... }`` block, and
:class:`TlsServer` is a :class:`~natskit.testing.NatsServer` that requires TLS.
"""

from __future__ import annotations

import datetime
import ipaddress
import json
import os
from dataclasses import dataclass
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from .server import NatsServer

__all__ = ["Certs", "TlsServer", "make_certs", "tls_config"]

_VALIDITY = datetime.timedelta(days=2)
_CLOCK_SKEW = datetime.timedelta(minutes=5)


@dataclass(frozen=True)
class Certs:
    """Paths of the PEM files written by :func:`make_certs`."""

    ca_file: str
    server_cert: str
    server_key: str
    client_cert: str
    client_key: str


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _write(path: str, data: bytes) -> str:
    with open(path, "wb") as f:
        f.write(data)
    return path


def _write_key(path: str, key: ec.EllipticCurvePrivateKey) -> str:
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return _write(path, pem)


def _issue(
    ca_cert: x509.Certificate,
    ca_key: ec.EllipticCurvePrivateKey,
    common_name: str,
    usage: x509.ObjectIdentifier,
    sans: list[x509.GeneralName],
) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    """A leaf certificate signed by the CA, for ``usage`` (server or client auth)."""
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.timezone.utc)
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(common_name))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - _CLOCK_SKEW)
        .not_valid_after(now + _VALIDITY)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
            critical=False,
        )
    )
    if sans:
        builder = builder.add_extension(x509.SubjectAlternativeName(sans), critical=False)
    return builder.sign(ca_key, hashes.SHA256()), key


def make_certs(directory: str | os.PathLike[str]) -> Certs:
    """Write a CA, a server and a client certificate (ECDSA P-256) into ``directory``.

    The server certificate names DNS ``localhost`` and IP ``127.0.0.1``; all
    are valid for two days. Files: ``ca.pem``, ``server-cert.pem``,
    ``server-key.pem``, ``client-cert.pem``, ``client-key.pem``.
    """
    directory = os.fspath(directory)
    os.makedirs(directory, exist_ok=True)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.timezone.utc)
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(_name("natskit test CA"))
        .issuer_name(_name("natskit test CA"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - _CLOCK_SKEW)
        .not_valid_after(now + _VALIDITY)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    server_cert, server_key = _issue(
        ca_cert,
        ca_key,
        "localhost",
        ExtendedKeyUsageOID.SERVER_AUTH,
        [x509.DNSName("localhost"), x509.IPAddress(ipaddress.IPv4Address("127.0.0.1"))],
    )
    client_cert, client_key = _issue(
        ca_cert, ca_key, "natskit test client", ExtendedKeyUsageOID.CLIENT_AUTH, []
    )

    def path(name: str) -> str:
        return os.path.join(directory, name)

    pem = serialization.Encoding.PEM
    return Certs(
        ca_file=_write(path("ca.pem"), ca_cert.public_bytes(pem)),
        server_cert=_write(path("server-cert.pem"), server_cert.public_bytes(pem)),
        server_key=_write_key(path("server-key.pem"), server_key),
        client_cert=_write(path("client-cert.pem"), client_cert.public_bytes(pem)),
        client_key=_write_key(path("client-key.pem"), client_key),
    )


def tls_config(certs: Certs, *, verify_clients: bool = False, handshake_first: bool = False) -> str:
    """nats-server's ``tls { ... }`` block for ``certs``.

    ``verify_clients`` makes the server require a client certificate signed
    by the CA; ``handshake_first`` makes it expect the TLS handshake before
    it sends INFO (nats-server 2.10+).
    """
    lines = [
        f"  cert_file: {json.dumps(certs.server_cert)}",
        f"  key_file: {json.dumps(certs.server_key)}",
        f"  ca_file: {json.dumps(certs.ca_file)}",
    ]
    if verify_clients:
        lines.append("  verify: true")
    if handshake_first:
        lines.append("  handshake_first: true")
    return "tls {\n" + "\n".join(lines) + "\n}\n"


class TlsServer(NatsServer):
    """A :class:`~natskit.testing.NatsServer` that requires TLS with ``certs``.

    ``verify_clients`` and ``handshake_first`` are as for :func:`tls_config`;
    ``config`` adds more configuration text; other keyword arguments are
    NatsServer's. :attr:`url` stays ``nats://...`` (the server's INFO asks
    for TLS); :attr:`tls_url` is the ``tls://...`` form.
    """

    def __init__(
        self,
        certs: Certs,
        *,
        verify_clients: bool = False,
        handshake_first: bool = False,
        config: str | None = None,
        **kwargs: Any,
    ) -> None:
        text = tls_config(certs, verify_clients=verify_clients, handshake_first=handshake_first)
        super().__init__(config=text + (config or ""), **kwargs)
        self.certs = certs

    @property
    def tls_url(self) -> str:
        """``tls://127.0.0.1:<port>``."""
        return f"tls://{self.host}:{self.port}"
