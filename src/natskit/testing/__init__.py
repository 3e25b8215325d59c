"""Helpers for testing against a real ``nats-server`` (see :mod:`natskit.testing.plugin`)."""

from .server import NatsServer, find_server_binary

__all__ = ["NatsServer", "find_server_binary"]
