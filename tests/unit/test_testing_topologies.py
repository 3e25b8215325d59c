"""Tests of the cluster, leafnode, TLS and auth test topologies, with raw sockets only."""

from __future__ import annotations

import base64
import json
import os
import socket
import ssl
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from natskit import nkeys
from natskit.testing import NatsCluster, NatsHubLeaf, NatsServer
from natskit.testing.auth import (
    JwtSetup,
    make_operator_setup,
    nkey_config,
    token_config,
    userpass_config,
)
from natskit.testing.tls import Certs, TlsServer, tls_config

LOOPBACK = "127.0.0.1"
PONG = b"PONG\r\n"
AUTH_VIOLATION = b"-ERR 'Authorization Violation'\r\n"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class Raw:
    """A NATS protocol connection on a plain or TLS socket."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.reader = sock.makefile("rb")

    def line(self) -> bytes:
        return self.reader.readline()

    def info(self) -> dict[str, Any]:
        line = self.line()
        assert line.startswith(b"INFO "), line
        info: dict[str, Any] = json.loads(line[len(b"INFO ") :])
        return info

    def connect(self, **fields: Any) -> bytes:
        """Send CONNECT and PING; return the answer line (PONG or -ERR)."""
        options = {"verbose": False, "headers": True, "no_responders": True, **fields}
        self.sock.sendall(b"CONNECT " + json.dumps(options).encode() + b"\r\nPING\r\n")
        return self.line()

    def request(self, subject: str) -> dict[str, Any]:
        """Send an empty request on ``subject``; return the JSON reply."""
        self.sock.sendall(f"SUB _INBOX.raw 1\r\nPUB {subject} _INBOX.raw 0\r\n\r\n".encode())
        line = self.line()
        assert line.startswith(b"MSG _INBOX.raw 1 "), line
        payload = self.reader.read(int(line.split()[-1]) + 2)
        reply: dict[str, Any] = json.loads(payload)
        return reply


@contextmanager
def raw(port: int) -> Iterator[Raw]:
    with socket.create_connection((LOOPBACK, port), timeout=5) as sock:
        yield Raw(sock)


@contextmanager
def raw_tls(
    port: int, context: ssl.SSLContext, hostname: str, *, handshake_first: bool = False
) -> Iterator[tuple[Raw, dict[str, Any]]]:
    """A TLS connection after the INFO (or before it, ``handshake_first``); yields it and INFO."""
    with socket.create_connection((LOOPBACK, port), timeout=5) as sock:
        info = {} if handshake_first else Raw(sock).info()
        with context.wrap_socket(sock, server_hostname=hostname) as tls:
            conn = Raw(tls)
            yield conn, (conn.info() if handshake_first else info)


def client_context(certs: Certs, *, with_cert: bool = False) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=certs.ca_file)
    context.verify_flags |= ssl.VERIFY_X509_STRICT  # the default from Python 3.13 on
    if with_cert:
        context.load_cert_chain(certs.client_cert, certs.client_key)
    return context


# -- NatsServer monitoring -------------------------------------------------------------


def test_monitoring_endpoint_keeps_its_port() -> None:
    with NatsServer(monitor=True) as server:
        port = server.monitor_port
        assert server.monitor("varz")["port"] == server.port
        assert server.monitor("/healthz") == {"status": "ok"}
        server.restart()
        assert server.monitor_port == port
        assert server.monitor("connz?subs=1")["num_connections"] == 0
    with NatsServer() as plain, pytest.raises(RuntimeError, match="monitor=True"):
        _ = plain.monitor_port


# -- cluster ------------------------------------------------------------------------------


def test_nats_cluster(nats_cluster: NatsCluster) -> None:
    servers = nats_cluster.servers
    assert len(servers) == 3
    assert nats_cluster.urls == [server.url for server in servers]
    client_addresses = {f"{LOOPBACK}:{server.port}" for server in servers}
    for i, server in enumerate(servers):
        with raw(server.port) as conn:
            info = conn.info()
            assert info["server_name"] == f"node-{i}"
            assert info["cluster"] == "natskit"
            assert info["jetstream"] is True
            assert set(info["connect_urls"]) == client_addresses
            assert conn.connect() == PONG
            assert conn.request("$JS.API.INFO")["type"].endswith("account_info_response")
    leader = servers[0].monitor("jsz")["meta_cluster"]["leader"]
    follower = next(i for i, server in enumerate(servers) if server.name != leader)
    old_pid, old_port = servers[follower].pid, servers[follower].port
    nats_cluster.stop(follower)
    assert not servers[follower].is_running()
    nats_cluster.restart(follower)  # returns once the cluster is whole again
    assert servers[follower].pid != old_pid
    assert servers[follower].port == old_port
    routes = servers[follower].monitor("routez")["routes"]
    others = {server.name for server in servers} - {servers[follower].name}
    assert {route["remote_name"] for route in routes} == others


def test_cluster_without_jetstream_kill_and_close() -> None:
    with NatsCluster(2, name="plain", jetstream=False) as cluster:
        with raw(cluster.servers[1].port) as conn:
            info = conn.info()
            assert info["cluster"] == "plain"
            assert "jetstream" not in info
            assert len(info["connect_urls"]) == 2
        cluster.kill(0)
        assert not cluster.servers[0].is_running()
        cluster.restart(0)
        assert cluster.servers[1].monitor("routez")["routes"][0]["remote_name"] == "node-0"
        pids = [server.pid for server in cluster.servers]
        workdirs = [os.path.dirname(server.log_path) for server in cluster.servers]
    for pid in pids:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
    assert not any(os.path.exists(workdir) for workdir in workdirs)


# -- hub and leaf ---------------------------------------------------------------------------


def test_nats_hub_leaf(nats_hub_leaf: NatsHubLeaf) -> None:
    hub, leaf = nats_hub_leaf.hub, nats_hub_leaf.leaf
    assert hub.monitor("varz")["leaf"]["port"] == nats_hub_leaf.leafnode_port
    assert [link["name"] for link in hub.monitor("leafz")["leafs"]] == ["leaf"]
    assert [link["name"] for link in leaf.monitor("leafz")["leafs"]] == ["hub"]
    with raw(leaf.port) as conn:
        conn.info()
        assert conn.connect() == PONG
        assert conn.request("$JS.API.INFO")["domain"] == "leaf"
        assert conn.request("$JS.hub.API.INFO")["domain"] == "hub"  # across the leafnode
    with raw(hub.port) as conn:
        conn.info()
        assert conn.connect() == PONG
        assert conn.request("$JS.API.INFO")["domain"] == "hub"
        assert conn.request("$JS.leaf.API.INFO")["domain"] == "leaf"


# -- TLS -------------------------------------------------------------------------------------


@pytest.mark.parametrize("hostname", ["localhost", LOOPBACK])
def test_tls_server(tls_server: TlsServer, hostname: str) -> None:
    assert tls_server.tls_url == f"tls://{LOOPBACK}:{tls_server.port}"
    with raw_tls(tls_server.port, client_context(tls_server.certs), hostname) as (conn, info):
        assert info["tls_required"] is True
        assert "tls_verify" not in info
        assert conn.connect() == PONG


def test_tls_server_is_not_trusted_without_its_ca(tls_server: TlsServer) -> None:
    with (
        pytest.raises(ssl.SSLCertVerificationError),
        raw_tls(tls_server.port, ssl.create_default_context(), "localhost"),
    ):
        pass


def test_tls_verify_server(tls_verify_server: TlsServer, tls_certs: Certs) -> None:
    assert tls_verify_server.certs is tls_certs
    context = client_context(tls_certs, with_cert=True)
    with raw_tls(tls_verify_server.port, context, "localhost") as (conn, info):
        assert info["tls_required"] is True and info["tls_verify"] is True
        assert conn.connect() == PONG
    # TLS 1.3 sends the rejection of a missing client certificate after the handshake.
    with (
        pytest.raises(ssl.SSLError, match="CERTIFICATE_REQUIRED"),
        raw_tls(tls_verify_server.port, client_context(tls_certs), "localhost") as (conn, _),
    ):
        conn.connect()


def test_tls_handshake_first(
    nats_server_factory: Any,
    tls_certs: Certs,
) -> None:
    server = nats_server_factory(config=tls_config(tls_certs, handshake_first=True))
    context = client_context(tls_certs)
    with raw_tls(server.port, context, LOOPBACK, handshake_first=True) as (conn, info):
        assert info["tls_required"] is True  # INFO came over TLS
        assert conn.connect() == PONG


def test_tls_server_accepts_extra_config(tls_certs: Certs) -> None:
    with TlsServer(tls_certs, config="max_payload: 512\n") as server:
        with raw_tls(server.port, client_context(tls_certs), "localhost") as (_, info):
            assert info["max_payload"] == 512


# -- authentication ----------------------------------------------------------------------


def test_userpass_config(nats_server_factory: Any) -> None:
    server = nats_server_factory(config=userpass_config("alice", 'pa"ss'))
    with raw(server.port) as conn:
        assert conn.info()["auth_required"] is True
        assert conn.connect(user="alice", **{"pass": 'pa"ss'}) == PONG
    with raw(server.port) as conn:
        conn.info()
        assert conn.connect(user="alice", **{"pass": "wrong"}) == AUTH_VIOLATION


def test_token_config(nats_server_factory: Any) -> None:
    server = nats_server_factory(config=token_config("t0k3n"))
    with raw(server.port) as conn:
        conn.info()
        assert conn.connect(auth_token="t0k3n") == PONG
    with raw(server.port) as conn:
        conn.info()
        assert conn.connect(auth_token="other") == AUTH_VIOLATION


def test_nkey_config(nats_server_factory: Any) -> None:
    user = nkeys.create("user")
    server = nats_server_factory(config=nkey_config(user.public_key))
    with raw(server.port) as conn:
        nonce = conn.info()["nonce"].encode()
        assert conn.connect(nkey=user.public_key, sig=b64url(user.sign(nonce))) == PONG
    with raw(server.port) as conn:
        nonce = conn.info()["nonce"].encode()
        bad = b64url(user.sign(nonce + b"x"))
        assert conn.connect(nkey=user.public_key, sig=bad) == AUTH_VIOLATION
    intruder = nkeys.create("user")
    with raw(server.port) as conn:
        nonce = conn.info()["nonce"].encode()
        sig = b64url(intruder.sign(nonce))
        assert conn.connect(nkey=intruder.public_key, sig=sig) == AUTH_VIOLATION


def connect_creds(conn: Raw, creds: str) -> bytes:
    """CONNECT with the JWT of ``creds`` and the nonce signed by its seed."""
    nonce = conn.info()["nonce"].encode()
    jwt, seed = nkeys.read_creds(creds)
    return conn.connect(jwt=jwt, sig=b64url(nkeys.from_seed(seed).sign(nonce)))


def test_jwt_server(jwt_server: NatsServer, operator_setup: JwtSetup) -> None:
    setup = operator_setup
    assert nkeys.read_creds(setup.creds) == (setup.user_jwt, setup.user_seed)
    assert "seed" not in repr(setup).lower() and setup.user_seed not in repr(setup)
    header, claims, signature = setup.user_jwt.split(".")
    assert json.loads(b64url_decode(header)) == {"typ": "JWT", "alg": "ed25519-nkey"}
    fields = json.loads(b64url_decode(claims))
    assert fields["iss"] == setup.account.public_key
    assert fields["sub"] == setup.user.public_key
    assert fields["nats"]["type"] == "user"
    signed = f"{header}.{claims}".encode()
    assert setup.account.verify(signed, b64url_decode(signature))
    with raw(jwt_server.port) as conn:
        assert connect_creds(conn, setup.creds) == PONG
    with raw(jwt_server.port) as conn:
        assert connect_creds(conn, setup.make_user()) == PONG
    with raw(jwt_server.port) as conn:
        assert connect_creds(conn, setup.revoked_creds) == AUTH_VIOLATION
    with raw(jwt_server.port) as conn:
        assert connect_creds(conn, setup.make_user(expires=int(time.time()) - 10)) == AUTH_VIOLATION
    with raw(jwt_server.port) as conn:
        nonce = conn.info()["nonce"].encode()
        wrong_sig = b64url(nkeys.create("user").sign(nonce))
        assert conn.connect(jwt=setup.user_jwt, sig=wrong_sig) == AUTH_VIOLATION


def test_jwt_user_expires_while_connected(jwt_server: NatsServer, operator_setup: JwtSetup) -> None:
    # JWT expiry is in whole seconds: rounding now + 1.5 s leaves at least half a second to
    # connect (now + 1 could be only a moment away) and ends the wait within 1.5 s.
    creds = operator_setup.make_user(expires=int(time.time() + 1.5))
    with raw(jwt_server.port) as conn:
        assert connect_creds(conn, creds) == PONG
        assert conn.line() == b"-ERR 'User Authentication Expired'\r\n"


def test_jwt_account_with_jetstream() -> None:
    setup = make_operator_setup(jetstream=True)
    with NatsServer(config=setup.config, jetstream=True) as server, raw(server.port) as conn:
        assert connect_creds(conn, setup.creds) == PONG
        info = conn.request("$JS.API.INFO")
        assert info["type"] == "io.nats.jetstream.api.v1.account_info_response"
        assert "error" not in info
