"""NATS over WebSocket (ws:// and wss://) against a real server's websocket listener."""

from __future__ import annotations

import json
import socket
import ssl
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

import natskit.aio
from natskit.testing import NatsServer
from natskit.testing.tls import Certs, tls_config

if TYPE_CHECKING:
    from tests.aio.conftest import Reconnected


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture
def ws_server(nats_server_factory: Callable[..., NatsServer], tmp_path: Path) -> NatsServer:
    store = json.dumps(str(tmp_path / "js"))
    return nats_server_factory(
        config=(
            f'websocket {{ host: "127.0.0.1", port: {free_port()}, no_tls: true }}\n'
            f"jetstream {{ store_dir: {store} }}\n"
        )
    )


async def test_pub_sub_request_and_jetstream_over_ws(ws_server: NatsServer) -> None:
    async with await natskit.aio.connect(ws_server.ws_url) as nc:
        sub = await nc.subscribe("ws.>")
        await nc.publish("ws.a", b"hello", headers={"K": "v"})
        msg = await sub.next_msg(2)
        assert (msg.subject, msg.data, msg.headers["K"]) == ("ws.a", b"hello", "v")
        big = bytes(range(256)) * 3900  # close to max_payload: many frames from the server
        await nc.publish("ws.big", big)
        assert (await sub.next_msg(5)).data == big

        async def upper(m: natskit.aio.Msg) -> None:
            await m.respond(m.data.upper())

        await nc.subscribe("svc", callback=upper)
        assert (await nc.request("svc", b"abc", timeout=2)).data == b"ABC"
        js = nc.jetstream()
        await js.add_stream("WS", subjects=["wsjs"], storage="memory")
        assert (await js.publish("wsjs", b"1")).seq == 1
        assert nc.server_info["server_id"]


async def test_a_path_in_the_url_goes_into_the_upgrade_request(ws_server: NatsServer) -> None:
    async with await natskit.aio.connect(ws_server.ws_url + "/behind/a/proxy") as nc:
        assert nc.current_server is not None
        assert nc.current_server.path == "/behind/a/proxy"
        assert await nc.rtt() > 0


async def test_ws_and_plain_clients_talk(ws_server: NatsServer) -> None:
    async with await natskit.aio.connect(ws_server.url) as plain:
        async with await natskit.aio.connect(ws_server.ws_url) as ws:
            sub = await plain.subscribe("mixed")
            await plain.flush()
            for i in range(1000):
                await ws.publish("mixed", str(i))
            await ws.flush()
            assert [(await sub.next_msg(2)).data for _ in range(1000)] == [
                str(i).encode() for i in range(1000)
            ]


async def test_reconnects_over_ws(ws_server: NatsServer, reconnected: Reconnected) -> None:
    async with await natskit.aio.connect(
        ws_server.ws_url, reconnect_time_wait=0.05, status_cb=reconnected.on_status
    ) as nc:
        sub = await nc.subscribe("again")
        ws_server.restart()
        assert await reconnected.wait(10)
        await nc.publish("again", b"back")
        assert (await sub.next_msg(5)).data == b"back"


async def test_wss(nats_server_factory: Callable[..., NatsServer], tls_certs: Certs) -> None:
    port = free_port()
    block = tls_config(tls_certs).replace("tls {", "  tls {", 1)
    server = nats_server_factory(
        config=f'websocket {{\n host: "127.0.0.1"\n port: {port}\n{block}}}\n'
    )
    ctx = ssl.create_default_context(cafile=tls_certs.ca_file)
    async with await natskit.aio.connect(f"wss://127.0.0.1:{port}", tls=ctx) as nc:
        sub = await nc.subscribe("secure")
        await nc.publish("secure", b"over wss")
        assert (await sub.next_msg(2)).data == b"over wss"
    with pytest.raises(natskit.NatsError):
        await natskit.aio.connect(
            f"ws://127.0.0.1:{port}", connect_timeout=2, max_reconnect_attempts=0
        )
    assert server.is_running()
    with pytest.raises(natskit.SecureConnWantedError):
        await natskit.aio.connect(f"ws://127.0.0.1:{port}", secure=True, connect_timeout=2)
