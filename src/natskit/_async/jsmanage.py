"""JetStream management: API requests, streams, consumers, stored messages, account."""

from __future__ import annotations

import dataclasses
import logging
from datetime import datetime
from typing import TYPE_CHECKING, Any

from .._jsapi import ConsumerConfig, ConsumerInfo, ConsumerPause, StreamConfig, StreamInfo
from .._jsapi.api import (
    api_about,
    consumer_create_subject,
    direct_get_error,
    encode,
    loads,
    msg_get_request,
    parse_reply,
    purge_request,
    stored_msg,
)
from .._jsapi.directget import stream_info_request, subjects_left
from .._jsapi.info import AccountInfo
from .._jsapi.levels import (
    LEVEL_NOT_SUPPORTED,
    SERVER_OF_LEVEL,
    Need,
    consumer_level,
    level_headers,
    level_message,
    stream_level,
)
from .._protocol import check_name
from ..errors import JetStreamError, JetStreamNotEnabledError, NoRespondersError
from ..server_version import at_least, require
from . import consumer_controls as controls
from .msg import Msg

if TYPE_CHECKING:
    from .connection import Connection

log = logging.getLogger("natskit.jetstream")


def _stream_config(config: StreamConfig | str | None, options: dict[str, Any]) -> StreamConfig:
    if isinstance(config, StreamConfig):
        StreamConfig.build({"name": config.name, **options})  # reject unknown options
        cfg = dataclasses.replace(config, **options)
    else:
        cfg = StreamConfig.build(options if config is None else {"name": config, **options})
    check_name(cfg.name, "stream name")
    return cfg


def _consumer_config(config: ConsumerConfig | None, options: dict[str, Any]) -> ConsumerConfig:
    if config is None:
        return ConsumerConfig.build(options)
    if not options:
        return config
    ConsumerConfig.build(options)  # reject unknown options
    return dataclasses.replace(config, **options)


def _with_subjects(reply: dict[str, Any], subjects: dict[str, int]) -> dict[str, Any]:
    """The last ``STREAM.INFO`` page with the subjects of every page."""
    return {**reply, "state": {**reply["state"], "subjects": subjects}}


class JetStreamManager:
    """The management methods of ``JetStream`` (a mixin; ``JetStream`` sets these)."""

    _conn: Connection
    _timeout: float
    _prefix: str
    _trace: bool

    @property
    def api_prefix(self) -> str:
        """The subject prefix of API requests (``$JS.API``, ``$JS.<domain>.API``, ...)."""
        return self._prefix

    @property
    def timeout(self) -> float:
        """Default timeout of every JetStream request, in seconds."""
        return self._timeout

    @property
    def trace(self) -> bool:
        """Whether API requests and replies are logged (``trace=True``)."""
        return self._trace

    @property
    def connection(self) -> Connection:
        """The connection this context uses."""
        return self._conn

    async def _api(
        self, suffix: str, body: dict[str, Any] | None = None, need: Need = (0, "")
    ) -> dict[str, Any]:
        """Send an API request and return the parsed reply (raising its error);
        ``need`` is the ADR-44 API level it asserts and the feature that needs it."""
        subject = f"{self._prefix}.{suffix}"
        data = encode(body)
        if need[0]:  # servers before 2.12 ignore the header: check the connected one
            require(self._conn.server_info, need[1], SERVER_OF_LEVEL[need[0]])
        if self._trace:
            log.debug(">>> %s %s", subject, data.decode())
        headers = level_headers(need[0])
        try:
            reply = await self._conn.request(subject, data, headers=headers, timeout=self._timeout)
        except NoRespondersError:
            raise JetStreamNotEnabledError(
                f"JetStream is not enabled (no responders on {subject!r})", status=503
            ) from None
        if self._trace:
            log.debug("<<< %s %s", subject, reply.data.decode(errors="replace"))
        about = api_about(suffix)
        try:
            return parse_reply(reply.data, about)
        except JetStreamError as exc:
            if exc.err_code != LEVEL_NOT_SUPPORTED or not need[0]:
                raise
            exc.args = (f"{about}: {level_message(need[1], need[0])}",)
            raise

    async def _paged(self, suffix: str, key: str, body: dict[str, Any] | None = None) -> list[Any]:
        """Follow a paged list API (total/offset/limit) to its end."""
        items: list[Any] = []
        while True:
            reply = await self._api(suffix, {**(body or {}), "offset": len(items)})
            page = reply.get(key) or []
            items.extend(page)
            if not page or len(items) >= reply.get("total", 0):
                return items

    async def account_info(self) -> AccountInfo:
        """Usage and limits of this account's JetStream."""
        return AccountInfo.from_json(await self._api("INFO"))

    # -- streams ------------------------------------------------------------

    async def add_stream(
        self, config: StreamConfig | str | None = None, /, **options: Any
    ) -> StreamInfo:
        """Create a stream from a ``StreamConfig`` or a name and JSON-named options."""
        cfg = _stream_config(config, options).to_json()
        reply = await self._api(f"STREAM.CREATE.{cfg['name']}", cfg, stream_level(cfg))
        return StreamInfo.from_json(reply)

    async def update_stream(
        self, config: StreamConfig | str | None = None, /, **options: Any
    ) -> StreamInfo:
        """Replace a stream's configuration (fields not given take their defaults)."""
        cfg = _stream_config(config, options).to_json()
        reply = await self._api(f"STREAM.UPDATE.{cfg['name']}", cfg, stream_level(cfg))
        return StreamInfo.from_json(reply)

    async def add_stream_from_json(self, config: str | bytes | dict[str, Any]) -> dict[str, Any]:
        """Create a stream from a JSON configuration, sent as is; return the reply."""
        obj = loads(config)
        name = obj.get("name")
        check_name(name if isinstance(name, str) else "", "stream name")
        return await self._api(f"STREAM.CREATE.{name}", obj, stream_level(obj))

    async def delete_stream(self, name: str) -> None:
        """Delete a stream and its messages."""
        check_name(name, "stream name")
        await self._api(f"STREAM.DELETE.{name}")

    async def purge_stream(
        self,
        name: str,
        *,
        filter: str | None = None,
        keep: int | None = None,
        seq: int | None = None,
    ) -> int:
        """Purge all messages, or those matching ``filter`` / below ``seq`` / beyond ``keep``."""
        check_name(name, "stream name")
        reply = await self._api(f"STREAM.PURGE.{name}", purge_request(filter, keep, seq))
        return int(reply.get("purged", 0))

    async def stream_info(
        self, name: str, *, subjects_filter: str | None = None, deleted_details: bool = False
    ) -> StreamInfo:
        """A stream's configuration and state; ``StreamNotFoundError`` if there is none.

        ``subjects_filter`` (a pattern, ``">"`` for all) fills ``state.subjects``
        with the message count of each matching subject (every page the
        server sends); ``deleted_details`` fills ``state.deleted`` with the
        deleted sequences.
        """
        check_name(name, "stream name")
        req = stream_info_request(subjects_filter, deleted_details)
        reply = await self._api(f"STREAM.INFO.{name}", req)
        subjects = (reply.get("state") or {}).get("subjects")
        while isinstance(subjects, dict) and subjects_left(reply, len(subjects)):
            req = stream_info_request(subjects_filter, False, len(subjects))
            reply = await self._api(f"STREAM.INFO.{name}", req)
            subjects.update((reply.get("state") or {}).get("subjects") or {})
        return StreamInfo.from_json(reply if subjects is None else _with_subjects(reply, subjects))

    async def stream_names(self, subject: str | None = None) -> list[str]:
        """Names of all streams, or of those that store ``subject``."""
        return await self._paged(
            "STREAM.NAMES", "streams", {"subject": subject} if subject else None
        )

    async def streams(self, subject: str | None = None) -> list[StreamInfo]:
        """``StreamInfo`` of all streams, or of those that store ``subject``."""
        body = {"subject": subject} if subject else None
        infos = await self._paged("STREAM.LIST", "streams", body)
        return [StreamInfo.from_json(i) for i in infos]

    async def stream_msg_get(
        self,
        stream: str,
        *,
        seq: int | None = None,
        last_by_subj: str | None = None,
        next_by_subj: str | None = None,
    ) -> Msg:
        """A stored message by ``seq``, last of ``last_by_subj``, or next of ``next_by_subj``."""
        check_name(stream, "stream name")
        req = msg_get_request(seq, last_by_subj, next_by_subj)
        reply = await self._api(f"STREAM.MSG.GET.{stream}", req)
        subject, data, headers = stored_msg(reply, stream)
        return Msg(subject, data, None, headers)

    async def stream_direct_get(
        self,
        stream: str,
        *,
        seq: int | None = None,
        last_by_subj: str | None = None,
        next_by_subj: str | None = None,
    ) -> Msg:
        """As ``stream_msg_get``, served by any replica or mirror (ADR-31, ``allow_direct``)."""
        check_name(stream, "stream name")
        req = msg_get_request(seq, last_by_subj, next_by_subj)
        if last_by_subj is not None:
            subject, data = f"{self._prefix}.DIRECT.GET.{stream}.{last_by_subj}", b""
        else:
            subject, data = f"{self._prefix}.DIRECT.GET.{stream}", encode(req)
        if self._trace:
            log.debug(">>> %s %s", subject, data.decode())
        try:
            reply = await self._conn.request(subject, data, timeout=self._timeout)
        except NoRespondersError:
            raise NoRespondersError(
                f"no Direct Get responders for stream {stream!r} (is allow_direct set?)"
            ) from None
        if self._trace:
            log.debug("<<< %s %r", subject, reply)
        if reply.status is not None:
            raise direct_get_error(reply.status, reply.description, stream)
        reply.subject = reply.headers.get("Nats-Subject", reply.subject)
        reply.reply = None
        return reply

    async def stream_msg_delete(self, stream: str, seq: int, *, no_erase: bool = True) -> None:
        """Delete message ``seq``; ``no_erase=False`` overwrites its data too."""
        check_name(stream, "stream name")
        await self._api(f"STREAM.MSG.DELETE.{stream}", {"seq": seq, "no_erase": no_erase})

    # -- consumers ----------------------------------------------------------

    async def _create_consumer(
        self, stream: str, config: ConsumerConfig, action: str
    ) -> ConsumerInfo:
        body = config.to_json()
        req: dict[str, Any] = {"stream_name": stream, "config": body}
        if at_least(self._conn.server_info, (2, 10)):  # the create ``action`` field
            req["action"] = action
        subject = consumer_create_subject(stream, body)
        return ConsumerInfo.from_json(await self._api(subject, req, consumer_level(body)))

    async def add_consumer(
        self, stream: str, config: ConsumerConfig | None = None, /, **options: Any
    ) -> ConsumerInfo:
        """Create a consumer; an existing one with another configuration is an error."""
        return await self._create_consumer(stream, _consumer_config(config, options), "create")

    async def update_consumer(
        self, stream: str, config: ConsumerConfig | None = None, /, **options: Any
    ) -> ConsumerInfo:
        """Change an existing consumer's configuration."""
        return await self._create_consumer(stream, _consumer_config(config, options), "update")

    async def add_pull_consumer(self, stream: str, name: str, **options: Any) -> ConsumerInfo:
        """Create the durable pull consumer ``name``."""
        return await self.add_consumer(stream, durable_name=name, **options)

    async def add_push_consumer(
        self, stream: str, name: str, deliver_subject: str, **options: Any
    ) -> ConsumerInfo:
        """Create the durable push consumer ``name`` delivering to ``deliver_subject``."""
        return await self.add_consumer(
            stream, durable_name=name, deliver_subject=deliver_subject, **options
        )

    async def add_consumer_from_json(
        self, stream: str, consumer: str, config: str | bytes | dict[str, Any]
    ) -> dict[str, Any]:
        """Create or update ``consumer`` from a JSON configuration; return the reply."""
        check_name(stream, "stream name")
        check_name(consumer, "consumer name")
        body = loads(config)
        req = {"stream_name": stream, "config": body}
        return await self._api(f"CONSUMER.CREATE.{stream}.{consumer}", req, consumer_level(body))

    async def delete_consumer(self, stream: str, name: str) -> None:
        """Delete the consumer ``name`` of ``stream``."""
        check_name(stream, "stream name")
        check_name(name, "consumer name")
        await self._api(f"CONSUMER.DELETE.{stream}.{name}")

    async def consumer_info(self, stream: str, name: str) -> ConsumerInfo:
        """A consumer's configuration and state; ``ConsumerNotFoundError`` if there is none."""
        check_name(stream, "stream name")
        check_name(name, "consumer name")
        return ConsumerInfo.from_json(await self._api(f"CONSUMER.INFO.{stream}.{name}"))

    async def consumer_names(self, stream: str) -> list[str]:
        """Names of the consumers of ``stream``."""
        check_name(stream, "stream name")
        return await self._paged(f"CONSUMER.NAMES.{stream}", "consumers")

    async def consumers(self, stream: str) -> list[ConsumerInfo]:
        """``ConsumerInfo`` of every consumer of ``stream``."""
        check_name(stream, "stream name")
        infos = await self._paged(f"CONSUMER.LIST.{stream}", "consumers")
        return [ConsumerInfo.from_json(i) for i in infos]

    # -- consumer controls (consumer_controls.py) ------------------------------

    async def pause_consumer(
        self, stream: str, name: str, until: datetime | float
    ) -> ConsumerPause:
        """Pause a consumer until ``until`` (a ``datetime``, naive meaning UTC, or
        seconds from now): it delivers nothing until then (server 2.11+)."""
        info = self._conn.server_info
        return await controls.pause_consumer(self._api, info, stream, name, until)

    async def resume_consumer(self, stream: str, name: str) -> ConsumerPause:
        """Resume a paused consumer at once (server 2.11+)."""
        info = self._conn.server_info
        return await controls.resume_consumer(self._api, info, stream, name)

    async def unpin_consumer(self, stream: str, name: str, group: str) -> None:
        """Unpin the pinned client of priority group ``group`` (ADR-42
        ``pinned_client``): the server pins one of the waiting pulls next."""
        info = self._conn.server_info
        await controls.unpin_consumer(self._api, info, stream, name, group)

    async def reset_consumer(self, stream: str, name: str, seq: int | None = None) -> ConsumerInfo:
        """Move a consumer back to its ack floor, or to stream sequence ``seq``
        (server 2.14+); its ``ConsumerInfo`` after the reset (the sequence it
        restarts from is ``raw["reset_seq"]``)."""
        info = self._conn.server_info
        return await controls.reset_consumer(self._api, info, stream, name, seq)
