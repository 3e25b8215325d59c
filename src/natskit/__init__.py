"""natskit: a NATS client with a blocking API (here) and an asyncio API (``natskit.aio``).

>>> import natskit
>>> with natskit.connect("nats://127.0.0.1:4222") as nc:      # doctest: +SKIP
...     nc.publish("greet", b"hello")

``natskit.accelerated`` says whether the compiled accelerator (the parser's hot
loop in C) is in use: it is built by ``pip install`` where a C compiler exists,
and ``NATSKIT_NO_EXTENSIONS=1`` at import turns it off.
"""

import logging
from typing import TYPE_CHECKING

from ._accel import accelerated as accelerated
from ._jsapi import (
    AccountInfo,
    ConsumerConfig,
    ConsumerInfo,
    ConsumerLimits,
    ConsumerPause,
    PriorityGroupState,
    PubAck,
    RePublish,
    SequenceInfo,
    StreamConfig,
    StreamConsumerSource,
    StreamInfo,
    StreamSource,
    StreamState,
    SubjectTransform,
)
from ._jsapi.kv import Entry, KVOrigin, KVStatus
from ._jsapi.obj import ObjectInfo, ObjectLink, ObjectStoreStatus
from ._sync.msg import Msg  # the shared message type (natskit.aio.Msg derives from it)
from ._version import __version__
from .contexts import NatsContext
from .errors import *  # noqa: F403
from .errors import __all__ as _error_names
from .headers import Headers
from .msg import MsgBase, MsgMetadata
from .options import Options, ServerAddress
from .status import Stats, Status
from .timeutil import format_time, parse_time

if TYPE_CHECKING:  # what the lazy names below are, for type checkers and IDEs
    from ._sync.batch import Batch
    from ._sync.connecting import connect
    from ._sync.connection import Connection
    from ._sync.consuming import ConsumeContext
    from ._sync.counter import Counter
    from ._sync.jetstream import JetStream
    from ._sync.kv import KeyValue
    from ._sync.kvwatch import KVWatcher
    from ._sync.objstore import ObjectStore, ObjectWatcher
    from ._sync.ordered import OrderedConsumer
    from ._sync.pull import PullConsumeContext
    from ._sync.push import PushConsumeContext
    from ._sync.service import Endpoint, Group, Service, ServiceRequest
    from ._sync.subscription import Subscription

# The blocking API is imported on first use, so that ``import natskit.aio``
# does not load it: name -> the module under ``_sync`` that defines it.
_LAZY = {
    "Batch": "batch",
    "Counter": "counter",
    "Connection": "connection",
    "connect": "connecting",
    "JetStream": "jetstream",
    "KeyValue": "kv",
    "KVWatcher": "kvwatch",
    "ObjectStore": "objstore",
    "ObjectWatcher": "objstore",
    "OrderedConsumer": "ordered",
    "ConsumeContext": "consuming",
    "PullConsumeContext": "pull",
    "PushConsumeContext": "push",
    "Endpoint": "service",
    "Group": "service",
    "Service": "service",
    "ServiceRequest": "service",
    "Subscription": "subscription",
}

if not TYPE_CHECKING:  # hidden from type checkers, so a misspelt name stays an error

    def __getattr__(name: str) -> object:
        """Import a name of the blocking API on first use (PEP 562)."""
        module = _LAZY.get(name)
        if module is None:
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
        # __import__, not importlib.import_module: `python -X importtime` then shows it.
        value = getattr(__import__(f"_sync.{module}", globals(), None, [name], 1), name)
        _name_public(value)
        globals()[name] = value
        return value


def __dir__() -> list[str]:
    """The module's names, the lazy ones included."""
    return sorted({*globals(), *__all__})


# A library logs, the application decides what is shown (no lastResort output).
logging.getLogger("natskit").addHandler(logging.NullHandler())

__all__ = [
    "AccountInfo",
    "Batch",
    "Connection",
    "ConsumeContext",
    "ConsumerConfig",
    "ConsumerInfo",
    "ConsumerLimits",
    "ConsumerPause",
    "Counter",
    "Endpoint",
    "Entry",
    "Group",
    "Headers",
    "JetStream",
    "KVOrigin",
    "KVStatus",
    "KVWatcher",
    "KeyValue",
    "Msg",
    "ObjectStore",
    "ObjectStoreStatus",
    "ObjectWatcher",
    "MsgBase",
    "MsgMetadata",
    "NatsContext",
    "ObjectInfo",
    "ObjectLink",
    "Options",
    "OrderedConsumer",
    "PriorityGroupState",
    "PubAck",
    "PullConsumeContext",
    "PushConsumeContext",
    "RePublish",
    "SequenceInfo",
    "ServerAddress",
    "Service",
    "ServiceRequest",
    "Stats",
    "Status",
    "StreamConfig",
    "StreamInfo",
    "StreamConsumerSource",
    "StreamSource",
    "StreamState",
    "SubjectTransform",
    "Subscription",
    "__version__",
    "connect",
    "format_time",
    "parse_time",
    *_error_names,
]


def _name_public(obj: object) -> None:
    """help(), repr() and tracebacks name the public path (natskit.Connection), not
    the generated module a class lives in (the lazy names: as they are loaded). The
    shared values keep their modules, where typing.get_type_hints() resolves them."""
    if getattr(obj, "__module__", "").startswith("natskit._sync."):
        obj.__module__ = __name__


for _name in __all__:
    if _name in globals():
        _name_public(globals()[_name])
del _name
