"""Key-Value buckets on ``JetStream``: bind, create (also aggregates and mirrors), list,
empty, delete (ADR-8 including its 1.1 topologies, ADR-48 limit markers)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, cast

from .._jsapi import StreamInfo
from .._jsapi.kv import KVOrigin, aggregate_config, bucket_config, check_bucket, mirror_config
from ..errors import BucketNotFoundError, JetStreamError, StreamNotFoundError
from .kv import KeyValue

if TYPE_CHECKING:
    from .._jsapi import StreamConfig
    from .jetstream import JetStream

# The JetStream API level that has per-message TTLs and limit markers (server 2.11).
TTL_API_LEVEL = 1


def _not_found(bucket: str) -> BucketNotFoundError:
    return BucketNotFoundError(f"bucket {bucket!r} not found", status=404)


class KeyValueManager:
    """The Key-Value bucket methods of ``JetStream`` (a mixin).

    Bucket options: ``description``, ``max_value_size``, ``history`` (1-64,
    default 1), ``ttl`` (seconds), ``max_bucket_size``, ``storage``
    (``"file"``, ``"memory"``), ``num_replicas``, ``compression`` (True/False
    or ``"s2"``/``"none"``), ``republish`` (``RePublish``), ``metadata``,
    ``placement``, ``limit_marker_ttl`` (seconds: ADR-48 markers for removed
    keys, and per-key TTLs in ``KeyValue.create``; server 2.11+), and for
    ``create_key_value`` only ``mirror_name`` and ``mirror_domain``.
    """

    @property
    def _js(self) -> JetStream:
        return cast("JetStream", self)

    async def key_value(self, bucket: str) -> KeyValue:
        """Bind to an existing bucket; ``BucketNotFoundError`` if there is none."""
        check_bucket(bucket)
        try:
            info = await self._js.stream_info(f"KV_{bucket}")
        except StreamNotFoundError:
            raise _not_found(bucket) from None
        if (info.config.max_msgs_per_subject or 0) < 1:
            raise BucketNotFoundError(f"stream KV_{bucket} is not a Key-Value bucket")
        return KeyValue(self._js, bucket, info.config)

    async def _check_level(self, config: StreamConfig) -> None:
        if config.subject_delete_marker_ttl is not None:
            level = (await self._js.account_info()).api.get("level", 0)
            if level < TTL_API_LEVEL:
                raise JetStreamError(
                    f"limit_marker_ttl needs JetStream API level {TTL_API_LEVEL} "
                    f"(nats-server 2.11+), the server has level {level}"
                )

    async def _create(self, config: StreamConfig) -> StreamInfo:
        await self._check_level(config)
        return await self._js.add_stream(config)

    async def update_key_value(self, bucket: str, **options: Any) -> KeyValue:
        """Change the configuration of the existing bucket ``bucket``; options as
        for ``create_key_value`` (those not given take their defaults).
        ``BucketNotFoundError`` if there is none; a change the server refuses
        (``storage``, say) is a ``JetStreamError``."""
        cfg = bucket_config(bucket, options)
        await self._check_level(cfg)
        try:
            info = await self._js.update_stream(cfg)
        except StreamNotFoundError:
            raise _not_found(bucket) from None
        return KeyValue(self._js, bucket, info.config)

    async def create_or_update_key_value(self, bucket: str, **options: Any) -> KeyValue:
        """``update_key_value``, or ``create_key_value`` when there is no such bucket."""
        cfg = bucket_config(bucket, options)
        await self._check_level(cfg)
        try:
            info = await self._js.update_stream(cfg)
        except StreamNotFoundError:
            info = await self._js.add_stream(cfg)
        return KeyValue(self._js, bucket, info.config)

    async def create_key_value(self, bucket: str, **options: Any) -> KeyValue:
        """Create the bucket ``bucket`` (the stream ``KV_<bucket>``) and return it.

        Options: ``history`` (values kept per key, 1 to 64; default 1),
        ``ttl`` (seconds an entry lives; default forever), ``max_value_size``
        and ``max_bucket_size`` (bytes), ``storage`` (``"file"``, the default,
        or ``"memory"``), ``num_replicas``, ``compression`` (True or ``"s2"``),
        ``description``, ``metadata`` (a ``dict[str, str]``), ``placement``,
        ``republish`` (a ``RePublish``), ``limit_marker_ttl`` (seconds: markers
        for entries removed by a limit, ADR-48; needs a server that knows
        them). ``mirror_name`` (with ``mirror_domain`` when it is in another
        domain) makes it a mirror of that bucket, which reads locally and
        writes to the origin. An unknown option is an ``InvalidArgError``;
        a bucket that exists with another configuration a ``JetStreamError``.
        """
        info = await self._create(bucket_config(bucket, options))
        return KeyValue(self._js, bucket, info.config)

    async def create_kv_aggregate(
        self, bucket: str, writable: bool, origins: Sequence[KVOrigin], **options: Any
    ) -> KeyValue:
        """Create a bucket that copies the keys of ``origins`` (ADR-8 1.1 aggregate).

        A read-only aggregate (``writable=False``) takes no writes of its own.
        Options: those of ``create_key_value`` but ``mirror_name`` and
        ``mirror_domain``.
        """
        info = await self._create(aggregate_config(bucket, writable, origins, options))
        return KeyValue(self._js, bucket, info.config)

    async def create_kv_mirror(self, name: str, origin: KVOrigin, **options: Any) -> StreamInfo:
        """Create the read replica ``name`` of ``origin`` (ADR-8 1.1 mirror); return its info.

        The mirror answers Direct Gets of the origin bucket (``get`` on a
        ``KeyValue`` of the origin, in the mirror's domain); it cannot be bound
        with ``key_value``. Delete it with ``delete_stream(name)``. Options:
        those of ``create_key_value`` but ``mirror_name`` and ``mirror_domain``.
        """
        return await self._create(mirror_config(name, origin, options))

    async def delete_key_value(self, bucket: str) -> None:
        """Delete a bucket and everything in it."""
        check_bucket(bucket)
        try:
            await self._js.delete_stream(f"KV_{bucket}")
        except StreamNotFoundError:
            raise _not_found(bucket) from None

    async def kv_buckets(self) -> list[str]:
        """The names of all buckets (streams named ``KV_<bucket>``), sorted."""
        names = await self._js.stream_names()
        return sorted(n[3:] for n in names if n.startswith("KV_"))

    async def empty_key_value(self, bucket: str) -> int:
        """Remove every entry and its history; revisions keep counting. Return how many."""
        check_bucket(bucket)
        try:
            return await self._js.purge_stream(f"KV_{bucket}")
        except StreamNotFoundError:
            raise _not_found(bucket) from None
