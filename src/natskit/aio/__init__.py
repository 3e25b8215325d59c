"""The asyncio API of natskit: the same names as ``natskit``, I/O methods are coroutines.

>>> import natskit.aio
>>> async def main() -> None:
...     async with natskit.aio.connect("nats://127.0.0.1:4222") as nc:
...         await nc.publish("greet", b"hello")
"""

from .._async.batch import Batch
from .._async.connecting import connect
from .._async.connection import Connection
from .._async.consuming import ConsumeContext
from .._async.counter import Counter
from .._async.jetstream import JetStream
from .._async.kv import KeyValue
from .._async.kvwatch import KVWatcher
from .._async.msg import Msg
from .._async.objstore import ObjectStore, ObjectWatcher
from .._async.ordered import OrderedConsumer
from .._async.pull import PullConsumeContext
from .._async.push import PushConsumeContext
from .._async.service import Endpoint, Group, Service, ServiceRequest
from .._async.subscription import Subscription
from ..errors import *  # noqa: F403  (the same error classes as natskit)
from ..errors import __all__ as _error_names

__all__ = [
    "Batch",
    "Connection",
    "ConsumeContext",
    "Counter",
    "Endpoint",
    "Group",
    "JetStream",
    "KVWatcher",
    "KeyValue",
    "Msg",
    "ObjectStore",
    "ObjectWatcher",
    "OrderedConsumer",
    "PullConsumeContext",
    "PushConsumeContext",
    "Service",
    "ServiceRequest",
    "Subscription",
    "connect",
    *_error_names,
]

# help(), repr() and tracebacks name the public path (natskit.aio.Connection), not the
# generated module a class lives in. The shared values keep their modules, where
# typing.get_type_hints() resolves their annotations.
for _name in __all__:
    _obj = globals()[_name]
    if getattr(_obj, "__module__", "").startswith("natskit._async."):
        _obj.__module__ = __name__
del _name, _obj
