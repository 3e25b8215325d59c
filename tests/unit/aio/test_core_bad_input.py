"""Bad input from the user: a clear natskit error, nothing on the wire, nothing
left half done (over the in-memory network, which records every command)."""

from __future__ import annotations

import pytest

import natskit.aio
from natskit._async.memory import MemoryNetwork

SURROGATE = "a.\udc80"


async def test_lone_surrogates_are_refused_before_anything_is_sent() -> None:
    net = MemoryNetwork()
    server = net.listen("mem")
    nc = await net.connect("nats://mem:4222")
    await nc.flush()
    peer = server.peers[0]
    sent = len(peer.commands)
    with pytest.raises(natskit.BadSubjectError):
        await nc.publish(SURROGATE, b"x")
    with pytest.raises(natskit.BadSubjectError):
        await nc.publish("ok", b"x", reply=SURROGATE)
    with pytest.raises(natskit.BadSubjectError):
        await nc.subscribe(SURROGATE)
    with pytest.raises(natskit.BadQueueNameError):
        await nc.subscribe("ok", queue="q\udc80")
    with pytest.raises(natskit.InvalidArgError):
        await nc.publish("ok", b"x", headers={"K": "v\udc80"})
    with pytest.raises(natskit.InvalidArgError):
        await nc.publish("ok", "text \udc80")
    with pytest.raises(natskit.BadSubjectError):
        await nc.request(SURROGATE, b"x", timeout=1)
    await nc.flush()
    sent_now = peer.commands[sent:]
    assert not [c for c in sent_now if c[0] in ("PUB", "HPUB")]
    # the only SUB is the shared reply inbox, which the request set up first
    assert [c[1].split(".")[0] for c in sent_now if c[0] == "SUB"] == ["_INBOX"]
    assert len(nc._router) == 1  # that inbox: no refused subscription left registered
    await nc.close()


async def test_unchecked_subjects_still_refuse_lone_surrogates() -> None:
    net = MemoryNetwork()
    net.listen("mem")
    nc = await net.connect("nats://mem:4222", check_subjects=False)
    with pytest.raises(natskit.BadSubjectError):
        await nc.subscribe(SURROGATE)
    with pytest.raises(natskit.BadSubjectError):
        await nc.publish(SURROGATE, b"")
    assert len(nc._router) == 0
    await nc.close()


def test_messages_and_acks_refuse_lone_surrogates() -> None:
    with pytest.raises(natskit.InvalidArgError):
        natskit.aio.Msg("s", "data \udc80")
    from natskit._async.msg import term_body

    with pytest.raises(natskit.InvalidArgError):
        term_body("why \udc80")


@pytest.mark.parametrize("subject", ["foo*", "foo>", "foo.*bar", "*foo.*"])
async def test_wildcards_inside_tokens_are_refused(subject: str) -> None:
    net = MemoryNetwork()
    server = net.listen("mem")
    nc = await net.connect("nats://mem:4222")
    with pytest.raises(natskit.BadSubjectError):
        await nc.subscribe(subject)
    with pytest.raises(natskit.BadSubjectError):
        await nc.publish(subject.replace(">", "*"), b"")
    with pytest.raises(natskit.BadQueueNameError):
        await nc.subscribe("ok", queue="q." + subject)
    unchecked = await net.connect("nats://mem:4222", check_subjects=False)
    await unchecked.subscribe(subject)  # the checks can be turned off
    assert (await server.peers[1].expect("SUB"))[1] == subject
    await unchecked.close()
    await nc.close()
