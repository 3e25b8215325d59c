"""Types of the compiled accelerator (src/natskit/_speedups*.c)."""

from typing import Any

class Scanner:
    """The compiled hot loop of one Parser."""

    def scan(self, buf: bytes, pos: int, frames: list[Any], /) -> int:
        """Append the complete MSG/HMSG frames of ``buf`` from ``pos`` to
        ``frames``; return the offset of the first frame not taken."""

class MsgMaker:
    """``cls.received`` of a Msg class, in C."""

    def __init__(self, cls: type, /) -> None: ...
    def __call__(self, *args: Any) -> Any: ...

class PubTemplate:
    """``PubTemplate(b"PUB <subject> ") % (size, payload)``: the PUB, in C."""

    def __init__(self, head: bytes, /) -> None: ...
    def __mod__(self, args: tuple[int, bytes], /) -> bytes: ...

class Delivery:
    """What ``route`` needs to queue a message for an instance of exactly ``cls``
    (a ``Subscription`` class) in ``_enqueue``'s common case itself."""

    def __init__(self, cls: type, /) -> None: ...

def route(
    frames: list[Any],
    subs: dict[int, Any],
    make: Any,
    link: Any,
    with_headers: Any,
    on_frame: Any,
    delivery: Delivery | None,
    /,
) -> tuple[int, int]:
    """Router.handle's loop: (messages, bytes) received."""
