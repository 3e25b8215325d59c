"""natskit: a NATS client with a blocking API (here) and an asyncio API (``natskit.aio``).

>>> import natskit
>>> with natskit.connect("nats://127.0.0.1:4222") as nc:      # doctest: +SKIP
...     nc.publish("greet", b"hello")
"""

import logging

from ._jsapi import (
    AccountInfo,
    ConsumerConfig,
    ConsumerInfo,
    PubAck,
    RePublish,
    SequenceInfo,
    StreamConfig,
    StreamInfo,
    StreamSource,
    StreamState,
    SubjectTransform,
)
from ._jsapi.kv import Entry, KVOrigin, KVStatus
from ._jsapi.obj import ObjectInfo, ObjectLink, ObjectStoreStatus
from ._sync.connection import Connection, connect
from ._sync.jetstream import JetStream
from ._sync.kv import KeyValue
from ._sync.kvwatch import KVWatcher
from ._sync.msg import Msg
from ._sync.objstore import ObjectStore, ObjectWatcher
from ._sync.ordered import OrderedConsumer
from ._sync.pull import ConsumeContext
from ._sync.service import Endpoint, Group, Service, ServiceRequest
from ._sync.subscription import Subscription
from ._version import __version__
from .errors import *  # noqa: F403
from .errors import __all__ as _error_names
from .headers import Headers
from .msg import MsgBase, MsgMetadata
from .options import Options, ServerAddress
from .status import Stats, Status
from .timeutil import format_time, parse_time

# A library logs, the application decides what is shown (no lastResort output).
logging.getLogger("natskit").addHandler(logging.NullHandler())

__all__ = [
    "AccountInfo",
    "Connection",
    "ConsumeContext",
    "ConsumerConfig",
    "ConsumerInfo",
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
    "ObjectInfo",
    "ObjectLink",
    "Options",
    "OrderedConsumer",
    "PubAck",
    "RePublish",
    "SequenceInfo",
    "ServerAddress",
    "Service",
    "ServiceRequest",
    "Stats",
    "Status",
    "StreamConfig",
    "StreamInfo",
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

# help(), repr() and tracebacks name the public path (natskit.Connection), not the
# generated module a class lives in. The shared values keep their modules, where
# typing.get_type_hints() resolves their annotations.
for _name in __all__:
    _obj = globals()[_name]
    if getattr(_obj, "__module__", "").startswith("natskit._sync."):
        _obj.__module__ = __name__
del _name, _obj
