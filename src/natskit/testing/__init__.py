"""Helpers for testing against a real ``nats-server`` (see :mod:`natskit.testing.plugin`)."""

from .server import NatsServer, find_server_binary
from .topology import NatsCluster, NatsHubLeaf

__all__ = ["NatsCluster", "NatsHubLeaf", "NatsServer", "find_server_binary"]
