"""Priority groups, pause and reset without a server: configs, infos, requests."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from natskit import ConsumerConfig, ConsumerInfo, ConsumerPause, PriorityGroupState
from natskit._jsapi.controls import pause_request, reset_request, unpin_request
from natskit._jsapi.priority import PullPriority, pull_priority_error
from natskit.errors import InvalidArgError, JetStreamError, ProtocolError
from natskit.server_version import require, version_of

NEW = {"version": "2.15.1"}
WHEN = datetime(2030, 1, 2, 3, 4, 5, tzinfo=timezone.utc)


def test_consumer_config_priority_and_pause_fields_round_trip() -> None:
    cfg = ConsumerConfig(
        durable_name="C",
        priority_groups=["jobs"],
        priority_policy="pinned_client",
        priority_timeout=90,
        pause_until=WHEN,
    )
    wire = cfg.to_json()
    assert wire["priority_groups"] == ["jobs"]
    assert wire["priority_policy"] == "pinned_client"
    assert wire["priority_timeout"] == 90_000_000_000
    assert wire["pause_until"] == "2030-01-02T03:04:05Z"
    back = ConsumerConfig.from_json(wire)
    assert back.priority_groups == ["jobs"]
    assert back.priority_policy == "pinned_client"
    assert back.priority_timeout == 90.0
    assert back.pause_until == WHEN


@pytest.mark.parametrize("policy", ["overflow", "pinned_client", "prioritized"])
def test_priority_policies_are_accepted(policy: str) -> None:
    assert ConsumerConfig(priority_policy=policy).to_json()["priority_policy"] == policy


def test_an_unknown_priority_policy_is_refused() -> None:
    with pytest.raises(InvalidArgError, match="priority_policy must be one of"):
        ConsumerConfig(priority_policy="pinned").to_json()


def test_consumer_info_types_pause_and_priority_groups() -> None:
    info = ConsumerInfo.from_json(
        {
            "stream_name": "S",
            "name": "C",
            "config": {"durable_name": "C", "priority_groups": ["jobs"]},
            "paused": True,
            "pause_remaining": 2_500_000_000,
            "priority_groups": [
                {
                    "group": "jobs",
                    "pinned_client_id": "PIN1",
                    "pinned_ts": "2030-01-02T03:04:05Z",
                }
            ],
        }
    )
    assert info.paused is True
    assert info.pause_remaining == 2.5
    assert info.priority_groups == [PriorityGroupState("jobs", "PIN1", WHEN)]
    plain = ConsumerInfo.from_json({"stream_name": "S", "name": "C", "config": {}})
    assert (plain.paused, plain.pause_remaining, plain.priority_groups) == (False, None, [])
    unpinned = ConsumerInfo.from_json(
        {"stream_name": "S", "name": "C", "priority_groups": [{"group": "jobs"}]}
    )
    assert unpinned.priority_groups == [PriorityGroupState("jobs")]


def test_a_malformed_priority_group_is_a_protocol_error() -> None:
    with pytest.raises(ProtocolError, match="PriorityGroupState"):
        ConsumerInfo.from_json({"stream_name": "S", "name": "C", "priority_groups": ["jobs"]})


def test_consumer_pause_reply() -> None:
    paused = ConsumerPause.from_json(
        {"paused": True, "pause_until": "2030-01-02T03:04:05Z", "pause_remaining": 10**9}
    )
    assert (paused.paused, paused.pause_until, paused.pause_remaining) == (True, WHEN, 1.0)
    resumed = ConsumerPause.from_json({"paused": False, "pause_until": "0001-01-01T00:00:00Z"})
    assert (resumed.paused, resumed.pause_until, resumed.pause_remaining) == (False, None, None)


def test_pull_priority_fields() -> None:
    assert PullPriority.of(None, None, None, None, NEW) is None
    prio = PullPriority.of("jobs", 5, 2, 3, NEW)
    assert prio is not None
    assert prio.fields(None) == {
        "group": "jobs",
        "min_pending": 5,
        "min_ack_pending": 2,
        "priority": 3,
    }
    assert prio.fields("PIN") == {**prio.fields(None), "id": "PIN"}
    only = PullPriority.of("jobs", None, None, None, NEW)
    assert only is not None and only.fields(None) == {"group": "jobs"}


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (("", None, None, None), "group"),
        (("a.b", None, None, None), "group"),
        (("x" * 17, None, None, None), "group"),
        ((None, 1, None, None), "group is required"),
        (("g", -1, None, None), "min_pending"),
        (("g", None, 1.5, None), "min_ack_pending"),
        (("g", None, None, 10), "priority"),
        (("g", None, None, True), "priority"),
    ],
)
def test_bad_pull_priority_arguments(args: tuple[object, ...], named: str) -> None:
    with pytest.raises(InvalidArgError, match=named):
        PullPriority.of(*args, NEW)  # type: ignore[arg-type, call-arg]


def test_priority_needs_a_new_enough_server() -> None:
    with pytest.raises(JetStreamError, match=r"priority groups needs nats-server 2\.11"):
        PullPriority.of("g", None, None, None, {"version": "2.10.22"})
    with pytest.raises(JetStreamError, match=r"prioritized .* needs nats-server 2\.12"):
        PullPriority.of("g", None, None, 1, {"version": "2.11.4"})
    assert PullPriority.of("g", None, None, 1, {"version": "2.12.0-RC.1"}) is not None


def test_server_version() -> None:
    assert version_of({"version": "2.15.1"}) == (2, 15, 1)
    assert version_of({"version": "2.12.0-RC.1"}) == (2, 12, 0)
    assert version_of({"version": "2.11"}) == (2, 11, 0)
    assert version_of({}) is None
    assert version_of({"version": "dev"}) is None
    require({}, "anything", (9, 9))  # unknown: let through
    with pytest.raises(JetStreamError, match=r"consumer reset needs nats-server 2\.14"):
        require({"version": "2.13.0"}, "consumer reset", (2, 14))


def test_server_refusals_of_priority_pulls_become_clear_errors() -> None:
    about = "consumer 'C' of stream 'S'"
    err = pull_priority_error(400, "Bad Request - Priority Group missing", about)
    assert isinstance(err, InvalidArgError)
    assert "pass group=" in str(err) and about in str(err)
    err = pull_priority_error(400, "Bad Request - Invalid Priority Group", about)
    assert isinstance(err, InvalidArgError) and "group is not one of" in str(err)
    err = pull_priority_error(400, "Bad Request - Not a Overflow Priority consumer", about)
    assert isinstance(err, InvalidArgError) and "min_pending" in str(err)
    assert pull_priority_error(400, "Bad Request - heartbeat value too large", about) is None
    assert pull_priority_error(409, "Consumer Deleted", about) is None


def test_control_requests() -> None:
    assert pause_request(WHEN) == {"pause_until": "2030-01-02T03:04:05Z"}
    naive = WHEN.replace(tzinfo=None)
    assert pause_request(naive) == {"pause_until": "2030-01-02T03:04:05Z"}
    assert pause_request(60, now=WHEN) == {"pause_until": "2030-01-02T03:05:05Z"}
    assert pause_request(0.5, now=WHEN) == {"pause_until": "2030-01-02T03:04:05.500000Z"}
    for bad in (-1, "soon", True, None):
        with pytest.raises(InvalidArgError, match="until"):
            pause_request(bad)  # type: ignore[arg-type]
    assert unpin_request("jobs") == {"group": "jobs"}
    with pytest.raises(InvalidArgError, match="group"):
        unpin_request("")
    assert reset_request(None) is None
    assert reset_request(7) == {"seq": 7}
    for bad_seq in (0, -3, 1.0, True):
        with pytest.raises(InvalidArgError, match="seq"):
            reset_request(bad_seq)  # type: ignore[arg-type]
