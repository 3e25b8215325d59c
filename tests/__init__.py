"""natskit test suite (a package, so ``from tests.fake_server import FakeServer`` works)."""
