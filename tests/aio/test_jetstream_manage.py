"""Stream, consumer and stored-message management against a real server."""

from __future__ import annotations

import json
from typing import Any

import pytest

import natskit.aio
from natskit import ConsumerConfig, StreamConfig
from natskit._async.memory import MemoryNetwork


async def test_stream_lifecycle(js: natskit.aio.JetStream) -> None:
    info = await js.add_stream(
        "S1", subjects=["s1.>"], max_age=60, storage="memory", metadata={"owner": "me"}
    )
    assert isinstance(info, natskit.StreamInfo)
    assert info.config.max_age == 60.0 and info.config.storage == "memory"
    assert info.config.metadata is not None and info.config.metadata["owner"] == "me"
    assert info.raw["config"]["max_age"] == 60_000_000_000
    assert info.created is not None and info.state.messages == 0
    again = await js.add_stream(
        StreamConfig(
            "S1", subjects=["s1.>"], max_age=60, storage="memory", metadata={"owner": "me"}
        )
    )
    assert again.config.name == "S1"  # the same configuration: no error
    cfg = info.config
    cfg.max_msgs = 10
    updated = await js.update_stream(cfg)
    assert updated.config.max_msgs == 10 and updated.config.max_age == 60.0
    assert (
        await js.update_stream("S1", subjects=["s1.>", "x"], storage="memory")
    ).config.subjects == ["s1.>", "x"]
    await js.add_stream("S2", subjects=["s2"], storage="memory")
    assert sorted(await js.stream_names()) == ["S1", "S2"]
    assert await js.stream_names("s2") == ["S2"]
    assert [i.config.name for i in await js.streams("s1.a")] == ["S1"]
    await js.delete_stream("S2")
    assert await js.stream_names() == ["S1"]
    with pytest.raises(natskit.StreamNotFoundError) as err:
        await js.stream_info("S2")
    assert (err.value.status, err.value.err_code) == (404, 10059)
    with pytest.raises(natskit.StreamNotFoundError):
        await js.delete_stream("S2")
    with pytest.raises(natskit.JetStreamError) as in_use:  # name in use, other configuration
        await js.add_stream("S1", subjects=["other"])
    assert in_use.value.err_code == 10058


async def test_errors_name_the_stream_and_consumer(js: natskit.aio.JetStream) -> None:
    """The server says "stream not found"; the error says which, and keeps its words."""
    with pytest.raises(natskit.StreamNotFoundError) as info:
        await js.stream_info("NOPE")
    assert str(info.value) == "stream 'NOPE': stream not found"
    assert info.value.description == "stream not found"
    await js.add_stream("S", subjects=["s.>"])
    with pytest.raises(natskit.ConsumerNotFoundError, match="consumer 'C' of stream 'S'"):
        await js.consumer_info("S", "C")
    with pytest.raises(natskit.JetStreamError, match="stream 'T': subjects overlap"):
        await js.add_stream("T", subjects=["s.>"])
    with pytest.raises(natskit.WrongLastSequenceError, match=r"publish to 's\.1'"):
        await js.publish("s.1", b"", expected_last_seq=99)


async def test_stream_arguments_are_checked(js: natskit.aio.JetStream) -> None:
    with pytest.raises(natskit.InvalidArgError):
        await js.add_stream("bad.name", subjects=["a"])
    with pytest.raises(natskit.InvalidArgError, match="subject"):
        await js.add_stream("S", subject=["a"])
    with pytest.raises(natskit.InvalidArgError):
        await js.purge_stream("S", keep=1, seq=2)
    with pytest.raises(natskit.InvalidArgError):
        await js.stream_msg_get("S")


async def test_stream_from_json(js: natskit.aio.JetStream) -> None:
    reply = await js.add_stream_from_json(
        json.dumps({"name": "J", "subjects": ["j.>"], "storage": "memory", "max_age": 10**9})
    )
    assert reply["config"]["max_age"] == 10**9
    assert (await js.stream_info("J")).config.max_age == 1.0
    reply = await js.add_stream_from_json({"name": "J2", "subjects": ["j2"]})
    assert reply["config"]["name"] == "J2"
    with pytest.raises(natskit.InvalidArgError):
        await js.add_stream_from_json({"subjects": ["x"]})


async def test_purge(js: natskit.aio.JetStream) -> None:
    await js.add_stream("P", subjects=["p.*"], storage="memory")
    for i in range(10):
        await js.publish(f"p.{'a' if i % 2 else 'b'}", str(i))
    assert await js.purge_stream("P", filter="p.a", keep=1) == 4
    assert await js.purge_stream("P", seq=5) == 2  # p.b 1 and 3; p.a 2 and 4 are gone
    assert (await js.stream_info("P")).state.messages == 4
    assert await js.purge_stream("P") == 4
    with pytest.raises(natskit.StreamNotFoundError):
        await js.purge_stream("NOPE")


async def test_stored_messages(js: natskit.aio.JetStream) -> None:
    await js.add_stream("M", subjects=["m.*"], storage="memory", allow_direct=True)
    for subject, data in (("m.a", b"1"), ("m.b", b"2"), ("m.a", b"3")):
        await js.publish(subject, data, headers={"H": data.decode()})
    for get in (js.stream_msg_get, js.stream_direct_get):
        msg = await get("M", seq=2)
        assert (msg.subject, msg.data, msg.seq) == ("m.b", b"2", 2)
        assert msg.headers.get("H") == "2" and msg.time is not None
        assert (await get("M", last_by_subj="m.a")).data == b"3"
        assert (await get("M", next_by_subj="m.a")).seq == 1
        assert (await get("M", seq=2, next_by_subj="m.a")).seq == 3
        with pytest.raises(natskit.MsgNotFoundError):
            await get("M", seq=99)
    await js.stream_msg_delete("M", 1)
    await js.stream_msg_delete("M", 2, no_erase=False)
    with pytest.raises(natskit.MsgNotFoundError):
        await js.stream_msg_get("M", seq=1)
    assert (await js.stream_msg_get("M", next_by_subj="m.a")).seq == 3
    with pytest.raises(natskit.JetStreamError):
        await js.stream_msg_delete("M", 1)
    await js.add_stream("ND", subjects=["nd"], storage="memory")
    with pytest.raises(natskit.NoRespondersError):
        await js.stream_direct_get("ND", seq=1)


async def test_consumer_lifecycle(js: natskit.aio.JetStream) -> None:
    await js.add_stream("C", subjects=["c.>"], storage="memory")
    info = await js.add_consumer(
        "C", durable_name="D", ack_policy="explicit", ack_wait=10, filter_subject="c.x"
    )
    assert isinstance(info, natskit.ConsumerInfo)
    assert (info.stream_name, info.name, info.config.ack_wait) == ("C", "D", 10.0)
    assert info.config.filter_subject == "c.x"
    # create never silently updates: another configuration is an error
    with pytest.raises(natskit.JetStreamError) as err:
        await js.add_consumer("C", durable_name="D", ack_policy="explicit", ack_wait=20)
    assert err.value.err_code == 10148
    updated = await js.update_consumer(
        "C",
        ConsumerConfig(durable_name="D", ack_policy="explicit", ack_wait=20, filter_subject="c.x"),
    )
    assert updated.config.ack_wait == 20.0
    with pytest.raises(natskit.JetStreamError) as err:  # update does not create
        await js.update_consumer("C", durable_name="NEW", ack_policy="explicit")
    assert err.value.err_code == 10149
    named = await js.add_consumer(
        "C", ConsumerConfig(name="N", ack_policy="none"), inactive_threshold=60
    )
    assert named.config.inactive_threshold == 60.0
    ephemeral = await js.add_consumer("C", ack_policy="none", inactive_threshold=60)
    assert ephemeral.name
    pull = await js.add_pull_consumer("C", "PULL", max_ack_pending=5)
    assert pull.config.durable_name == "PULL" and pull.config.deliver_subject is None
    push = await js.add_push_consumer("C", "PUSH", "deliver.here", ack_policy="none")
    assert push.config.deliver_subject == "deliver.here"
    reply = await js.add_consumer_from_json(
        "C", "JS", '{"durable_name": "JS", "ack_policy": "explicit", "ack_wait": 5000000000}'
    )
    assert reply["config"]["ack_wait"] == 5_000_000_000
    names = await js.consumer_names("C")
    assert {"D", "N", ephemeral.name, "PULL", "PUSH", "JS"} == set(names)
    assert {i.name for i in await js.consumers("C")} == set(names)
    assert (await js.consumer_info("C", "PULL")).config.max_ack_pending == 5
    await js.delete_consumer("C", "PULL")
    with pytest.raises(natskit.ConsumerNotFoundError) as err:
        await js.consumer_info("C", "PULL")
    assert (err.value.status, err.value.err_code) == (404, 10014)
    with pytest.raises(natskit.StreamNotFoundError):
        await js.consumer_info("NOPE", "PULL")
    with pytest.raises(natskit.InvalidArgError):
        await js.add_consumer("C", durable_name="x", bogus=1)


async def test_account_info(js: natskit.aio.JetStream) -> None:
    await js.add_stream("A", subjects=["a"], storage="memory")
    info = await js.account_info()
    assert isinstance(info, natskit.AccountInfo)
    assert info.streams == 1 and "max_streams" in info.limits
    assert info.raw["type"] == "io.nats.jetstream.api.v1.account_info_response"


async def test_paged_lists_are_followed_to_the_end() -> None:
    names = [f"S{i}" for i in range(5)]
    requests: list[dict[str, Any]] = []

    def page(data: bytes) -> list[bytes]:
        body = json.loads(data)
        requests.append(body)
        page = names[body["offset"] : body["offset"] + 2]
        reply = {"total": len(names), "offset": body["offset"], "limit": 2, "streams": page}
        return [json.dumps(reply).encode()]

    net = MemoryNetwork()  # a scripted server whose pages hold two names
    net.listen("mem").replies["$JS.API.STREAM.NAMES"] = page
    nc = await net.connect("nats://mem:4222")
    js = nc.jetstream()
    assert await js.stream_names("x") == names
    assert [r["offset"] for r in requests] == [0, 2, 4]
    assert all(r["subject"] == "x" for r in requests)
    await nc.close()
