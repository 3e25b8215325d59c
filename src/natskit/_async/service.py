"""The Service API (ADR-32): ``nc.service(...)``, endpoints, groups and discovery.

Every instance answers ``$SRV.PING|INFO|STATS`` (all services), ``.<name>``
(this service) and ``.<name>.<id>`` (this instance) without a queue group;
its endpoints subscribe with the queue group ``"q"`` unless told otherwise, so
instances of one service share the requests. A handler gets a
``ServiceRequest`` and answers with ``respond``, ``respond_json`` or
``respond_error``; an exception it raises is answered as an error (``500``,
or the code of a ``ServiceError``) and counted in the endpoint's stats.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from .._io_async import check_callback, settle
from .._micro import (
    DEFAULT_QUEUE_GROUP,
    ERROR_CODE_HEADER,
    ERROR_HEADER,
    INFO_TYPE,
    PING_TYPE,
    STATS_TYPE,
    VERBS,
    EndpointInfo,
    EndpointStats,
    check_metadata,
    check_name,
    check_version,
    endpoint_subject,
    error_description,
    group_prefix,
    resolve_queue_group,
    verb_subjects,
)
from .._protocol import next_nuid
from ..errors import (
    CallbackError,
    ConnectionClosedError,
    InvalidArgError,
    NatsError,
    ServiceError,
)
from ..headers import Headers
from ..msg import HeadersArg
from ..status import Status
from ..timeutil import format_time
from .msg import Msg
from .subscription import Subscription, stop_interest, unsubscribe_quietly, untraced

if TYPE_CHECKING:
    from .connection import Connection

log = logging.getLogger("natskit.service")
Handler = Callable[["ServiceRequest"], Any]


class ServiceRequest:
    """A request to an endpoint: ``subject``, ``data``, ``headers``, ``reply``, ``msg``."""

    __slots__ = ("_error", "_responded", "_send_failed", "msg")

    def __init__(self, msg: Msg) -> None:
        self.msg = msg
        self._error: str | None = None  # what the endpoint's stats record as its last error
        self._send_failed = False
        self._responded = False

    @property
    def subject(self) -> str:
        """The subject the request was sent to."""
        return self.msg.subject

    @property
    def data(self) -> bytes:
        """The request's payload."""
        return self.msg.data

    @property
    def headers(self) -> Any:
        """The request's ``Headers`` (empty when it has none)."""
        return self.msg.headers

    @property
    def reply(self) -> str | None:
        """The subject to answer to (None: the caller expects no answer)."""
        return self.msg.reply

    async def respond(self, data: bytes | str = b"", *, headers: HeadersArg = None) -> None:
        """Answer the request."""
        try:
            await self.msg.respond(data, headers=headers)
        except NatsError as exc:
            self._error = f"NATS error when sending response: {exc}"
            self._send_failed = True
            raise
        self._responded = True

    async def respond_json(self, value: Any, *, headers: HeadersArg = None) -> None:
        """Answer with ``value`` as JSON."""
        await self.respond(json.dumps(value).encode(), headers=headers)

    async def respond_error(
        self,
        code: str | int,
        description: str,
        data: bytes | str = b"",
        *,
        headers: HeadersArg = None,
    ) -> None:
        """Answer with an error: the ``Nats-Service-Error`` and ``-Code`` headers."""
        code = str(code)
        if not code or not isinstance(description, str) or not description:
            raise InvalidArgError("a service error needs a code and a description")
        all_headers = Headers(headers)
        all_headers[ERROR_HEADER] = description  # CR/LF raise here, before anything is sent
        all_headers[ERROR_CODE_HEADER] = code
        await self.respond(data, headers=all_headers)
        self._error = f"{code}:{description}"


class Endpoint:
    """One endpoint: its name, subject, queue group, metadata and ``stats``."""

    def __init__(self, service: Service, info: EndpointInfo, handler: Handler) -> None:
        self._service = service
        self._info = info
        self._handler = handler
        self._sub: Subscription | None = None

    @property
    def name(self) -> str:
        """The endpoint's name, as INFO and STATS report it."""
        return self._info.name

    @property
    def subject(self) -> str:
        """The subject it serves (the groups' prefixes included)."""
        return self._info.subject

    @property
    def queue_group(self) -> str | None:
        """``None`` when the endpoint has no queue group (every instance gets every request)."""
        return self._info.queue_group

    @property
    def metadata(self) -> dict[str, str] | None:
        """The metadata given to ``add_endpoint`` (None: none)."""
        return self._info.metadata

    @property
    def stats(self) -> EndpointStats:
        """Counters: ``num_requests``, ``num_errors``, ``last_error``,
        ``processing_time`` and ``average_processing_time`` (ns)."""
        return self._info.stats

    async def _handle(self, msg: Msg) -> None:
        """The subscription's callback: run the handler, answer errors, count.

        A handler that raises (other than ``ServiceError``, an answer by
        design) is answered with a 500 and reported as a ``CallbackError``.
        """
        req = ServiceRequest(msg)
        start = time.perf_counter_ns()
        failure: Exception | None = None
        try:
            await settle(self._handler(req))
        except Exception as exc:
            if not req._send_failed:  # the handler failed, not the sending of its answer
                if isinstance(exc, ServiceError):
                    code, description = exc.error_code, error_description(exc.description)
                else:
                    failure = exc
                    code, description = "500", error_description(exc)
                if not req._responded:  # one answer per request
                    try:
                        await req.respond_error(code, description)
                    except NatsError:
                        pass  # no reply subject, or the connection is gone
                req._error = f"{code}:{description}"  # the handler's error, not the sending's
        self._info.stats = self._info.stats.recorded(time.perf_counter_ns() - start, req._error)
        if failure is not None:
            raise CallbackError(
                f"the handler of endpoint {self.name!r} ({self.subject!r}) raised "
                f"{type(failure).__name__}: {failure}",
                sid=self._sub.sid if self._sub is not None else 0,
                subject=msg.subject,
            ) from failure


class Group:
    """A subject prefix (and queue group) shared by the endpoints added to it."""

    def __init__(self, service: Service, prefix: str, queue_group: str | None) -> None:
        self._service = service
        self._prefix = prefix
        self._queue_group = queue_group

    def add_group(
        self, name: str, *, queue_group: str | None = None, queue_group_disabled: bool = False
    ) -> Group:
        """A group inside this one: ``<this prefix>.<name>``."""
        return Group(
            self._service,
            group_prefix(self._prefix, name),
            resolve_queue_group(queue_group, queue_group_disabled, self._queue_group),
        )

    async def add_endpoint(
        self,
        name: str,
        handler: Handler,
        *,
        subject: str | None = None,
        queue_group: str | None = None,
        queue_group_disabled: bool = False,
        metadata: dict[str, str] | None = None,
    ) -> Endpoint:
        """Serve ``handler`` on ``<prefix>.<subject>`` (``subject`` defaults to ``name``)."""
        check_callback(handler, "handler")
        info = EndpointInfo(
            check_name(name, "endpoint name"),
            endpoint_subject(self._prefix, name if subject is None else subject),
            resolve_queue_group(queue_group, queue_group_disabled, self._queue_group),
            check_metadata(metadata),
        )
        if not callable(handler):
            raise InvalidArgError("an endpoint needs a callable handler")
        return await self._service._add(Endpoint(self._service, info, handler))


class Service(Group):
    """A running service instance; made by ``Connection.service``.

    ``info()``, ``stats()`` and ``ping()`` return what the discovery subjects
    answer; ``reset()`` zeroes the stats; ``stop()`` ends every subscription.
    """

    def __init__(
        self,
        conn: Connection,
        name: str,
        version: str,
        *,
        description: str | None = None,
        metadata: dict[str, str] | None = None,
        queue_group: str | None = None,
        queue_group_disabled: bool = False,
        stats_handler: Callable[[Endpoint], Any] | None = None,
    ) -> None:
        super().__init__(
            self, "", resolve_queue_group(queue_group, queue_group_disabled, DEFAULT_QUEUE_GROUP)
        )
        self._conn = conn
        self.name = check_name(name, "service name")
        self.version = check_version(version)
        if description is not None and not isinstance(description, str):
            raise InvalidArgError("description must be a str")
        self.description = description or ""
        self.metadata = check_metadata(metadata) or {}
        self.id = next_nuid()
        self._stats_handler = stats_handler
        self.endpoints: list[Endpoint] = []
        self._verb_subs: list[Subscription] = []
        self._stopped = False
        self._started = datetime.now(timezone.utc)

    @classmethod
    async def start(cls, conn: Connection, name: str, version: str, **options: Any) -> Service:
        """A new instance, answering discovery at once (``Connection.service``)."""
        svc = cls(conn, name, version, **options)
        await svc._start()
        return svc

    async def _start(self) -> None:
        answers = {"PING": self.ping, "INFO": self.info, "STATS": self.stats}
        try:
            for verb in VERBS:
                reply = _discovery_callback(answers[verb])
                for subject in verb_subjects(verb, self.name, self.id):
                    sub = await self._conn.subscribe(subject, callback=reply)
                    self._verb_subs.append(untraced(sub))
        except BaseException:
            await self.stop()
            raise
        self._started = datetime.now(timezone.utc)

    async def _add(self, endpoint: Endpoint) -> Endpoint:
        if self.stopped:
            raise ConnectionClosedError(f"service {self.name!r} is stopped")
        sub = await self._conn.subscribe(
            endpoint.subject, queue=endpoint.queue_group, callback=endpoint._handle
        )
        if self._stopped:  # stopped meanwhile (another thread or task)
            await unsubscribe_quietly(sub)
            raise ConnectionClosedError(f"service {self.name!r} is stopped")
        endpoint._sub = sub
        self.endpoints.append(endpoint)
        return endpoint

    @property
    def stopped(self) -> bool:
        """True after ``stop()`` or once the connection is closed."""
        return self._stopped or self._conn.status is Status.CLOSED

    def _identity(self, kind: str) -> dict[str, Any]:
        return {
            "type": kind,
            "name": self.name,
            "id": self.id,
            "version": self.version,
            "metadata": self.metadata,
        }

    def ping(self) -> dict[str, Any]:
        """The PING answer: type, name, id, version, metadata."""
        return self._identity(PING_TYPE)

    def info(self) -> dict[str, Any]:
        """The INFO answer: identity, description and the endpoints."""
        return {
            **self._identity(INFO_TYPE),
            "description": self.description,
            "endpoints": [e._info.info() for e in self.endpoints],
        }

    def stats(self) -> dict[str, Any]:
        """The STATS answer: identity, ``started`` and per-endpoint counters
        (times in nanoseconds; ``data`` from ``stats_handler`` when given)."""
        handler = self._stats_handler
        return {
            **self._identity(STATS_TYPE),
            "started": format_time(self._started),
            "endpoints": [
                e._info.stats_dict(handler(e) if handler else None, bool(handler))
                for e in self.endpoints
            ],
        }

    def reset(self) -> None:
        """Zero every endpoint's stats; ``started`` becomes now."""
        for endpoint in self.endpoints:
            endpoint._info.stats = EndpointStats()
        self._started = datetime.now(timezone.utc)

    async def stop(self) -> None:
        """Stop taking requests (idempotent): the endpoints and the discovery
        subjects are drained, so requests already received are still handled,
        after this returns (it does not wait for them: a handler may call it)."""
        if self._stopped:
            return
        self._stopped = True
        subs = [e._sub for e in self.endpoints if e._sub is not None] + self._verb_subs
        self._verb_subs = []
        for sub in subs:
            try:
                await stop_interest(sub)
            except NatsError:
                pass  # the connection is closed or lost: nothing more will come

    async def __aenter__(self) -> Service:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()


def _discovery_callback(answer: Callable[[], dict[str, Any]]) -> Callable[[Msg], Any]:
    async def reply(msg: Msg) -> None:
        if not msg.reply:
            return
        failure: Exception | None = None
        try:
            data = json.dumps(answer()).encode()
            headers = None
        except Exception as exc:  # a stats_handler failed or returned what JSON cannot hold
            failure = exc
            data, headers = b"", {ERROR_HEADER: error_description(exc), ERROR_CODE_HEADER: "500"}
        try:
            await msg.respond(data, headers=headers)
        except NatsError as exc:
            log.debug("discovery reply failed: %s", exc)
        if failure is not None:
            raise CallbackError(
                f"the service discovery answer to {msg.subject!r} raised "
                f"{type(failure).__name__}: {failure}",
                subject=msg.subject,
            ) from failure

    return reply
