"""natskit: a NATS client with a blocking API (here) and an asyncio API (``natskit.aio``).

>>> import natskit
>>> with natskit.connect("nats://127.0.0.1:4222") as nc:      # doctest: +SKIP
...     nc.publish("greet", b"hello")
"""

from ._sync.connection import Connection, connect
from ._sync.msg import Msg
from ._sync.subscription import Subscription
from ._version import __version__
from .errors import *  # noqa: F403
from .errors import __all__ as _error_names
from .headers import Headers
from .msg import MsgBase
from .options import Options, ServerAddress
from .status import Stats, Status
from .timeutil import format_time, parse_time

__all__ = [
    "Connection",
    "Headers",
    "Msg",
    "MsgBase",
    "Options",
    "ServerAddress",
    "Stats",
    "Status",
    "Subscription",
    "__version__",
    "connect",
    "format_time",
    "parse_time",
    *_error_names,
]
