"""Helpers for testing against a real ``nats-server`` (see :mod:`natskit.testing.plugin`)."""

from .server import NatsCluster, NatsHubLeaf, NatsServer, find_server_binary

__all__ = ["NatsCluster", "NatsHubLeaf", "NatsServer", "find_server_binary"]
