"""ADR-44 API levels, without I/O: the JetStream API level a request needs.

A server (2.12+) that reads ``Nats-Required-Api-Level: N`` on a JetStream API
request refuses it (err_code 10185) when its own level is lower, instead of
dropping the fields it does not know. natskit asserts the level on stream and
consumer create/update requests whose config uses a newer feature (the rules of
the server's own ``_nats.req.level`` metadata, checked against nats-server in
the tests), on consumer reset and on the first message of an atomic batch.
Servers before 2.12 do not read the header: the connected server's version
(from its INFO) is checked first, so those fail before anything is sent.
"""

from __future__ import annotations

from typing import Any

from ..headers import Headers

REQUIRED_LEVEL = "Nats-Required-Api-Level"
#: err_code of "JetStream minimum api level required".
LEVEL_NOT_SUPPORTED = 10185
#: The first server release of each API level natskit asserts.
SERVER_OF_LEVEL = {1: (2, 11), 2: (2, 12), 4: (2, 14)}

#: Level of the atomic batch publish (ADR-50) and of the consumer reset API.
BATCH_LEVEL = 2
RESET_LEVEL = 4

Need = tuple[int, str]  # (level, the feature that needs it); (0, "") for none


def _highest(needs: list[Need]) -> Need:
    return max(needs, default=(0, ""), key=lambda need: need[0])


def stream_level(config: dict[str, Any]) -> Need:
    """The API level a stream config (its JSON) needs, and the field that needs it."""
    needs: list[Need] = []
    if config.get("allow_msg_ttl"):
        needs.append((1, "allow_msg_ttl"))
    if config.get("subject_delete_marker_ttl"):
        needs.append((1, "subject_delete_marker_ttl"))
    for name in ("allow_msg_counter", "allow_atomic", "allow_msg_schedules"):
        if config.get(name):
            needs.append((2, name))
    if config.get("persist_mode") == "async":
        needs.append((2, "persist_mode='async'"))
    if config.get("allow_batched"):
        needs.append((4, "allow_batched"))
    return _highest(needs)


def consumer_level(config: dict[str, Any]) -> Need:
    """The API level a consumer config (its JSON) needs, and the field that needs it."""
    needs: list[Need] = []
    if config.get("pause_until"):
        needs.append((1, "pause_until"))
    if config.get("priority_groups") or config.get("priority_policy") not in (None, "none"):
        needs.append((1, "priority groups"))
    if config.get("ack_policy") == "flow_control":
        needs.append((4, "ack_policy='flow_control'"))
    return _highest(needs)


def level_headers(level: int) -> Headers | None:
    """The header asserting ``level`` (None for level 0: nothing to assert)."""
    if level <= 0:
        return None
    headers = Headers()
    headers.set(REQUIRED_LEVEL, str(level))
    return headers


def level_message(feature: str, level: int) -> str:
    """Why a request was refused with ``LEVEL_NOT_SUPPORTED``."""
    server = SERVER_OF_LEVEL.get(level)
    release = f" (nats-server {server[0]}.{server[1]} or newer)" if server else ""
    return (
        f"{feature} needs JetStream API level {level}{release}; "
        "the server that answered has a lower level"
    )
