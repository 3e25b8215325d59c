"""JetStream without I/O: configurations, replies, request builders, error mapping.

Shared by the asyncio and the blocking ``JetStream``; tested without a server.
"""

from .config import (
    ConsumerConfig,
    ConsumerLimits,
    RePublish,
    StreamConfig,
    StreamConsumerSource,
    StreamSource,
    SubjectTransform,
)
from .controls import ConsumerPause
from .info import AccountInfo, ConsumerInfo, PubAck, SequenceInfo, StreamInfo, StreamState
from .priority import PriorityGroupState
from .wire import from_ns, to_ns

__all__ = [
    "AccountInfo",
    "ConsumerConfig",
    "ConsumerInfo",
    "ConsumerLimits",
    "ConsumerPause",
    "PriorityGroupState",
    "PubAck",
    "RePublish",
    "SequenceInfo",
    "StreamConfig",
    "StreamConsumerSource",
    "StreamInfo",
    "StreamSource",
    "StreamState",
    "SubjectTransform",
    "from_ns",
    "to_ns",
]
