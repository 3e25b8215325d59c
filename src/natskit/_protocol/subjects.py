"""Checks of subjects, queue groups and names (ADR-6), and cached subject encoding."""

from __future__ import annotations

from natskit.errors import BadQueueNameError, BadSubjectError, InvalidArgError

__all__ = ["check_framing", "check_name", "check_queue", "check_subject", "encode_subject"]

_CACHE_MAX = 4096
# Publish subjects already checked and encoded. Only valid subjects are ever stored, so
# sharing it between threads is safe: dict get, set and clear are each atomic (under the
# GIL, and under the per-object lock of free-threaded builds); a race can at worst lose
# an entry or briefly exceed the bound by a few entries, never return a wrong value.
_cache: dict[str, bytes] = {}


def _has_space(text: str) -> bool:
    # str.split() splits at exactly the characters for which str.isspace() is true.
    parts = text.split()
    return len(parts) != 1 or len(parts[0]) != len(text)


def _encodable(text: str) -> bool:
    """Whether ``text`` is valid UTF-8 once encoded (no lone surrogates)."""
    if text.isascii():
        return True
    try:
        text.encode()
    except UnicodeEncodeError:
        return False
    return True


def check_framing(subject: str) -> None:
    """What every subject needs, checked or not: a non-empty str without whitespace,
    which would break the protocol line it goes into, that encodes as UTF-8."""
    if not isinstance(subject, str):
        raise BadSubjectError(f"subject must be a str, not {type(subject).__name__}")
    if not subject:
        raise BadSubjectError("subject is empty")
    if _has_space(subject):
        raise BadSubjectError(f"subject {subject!r} contains whitespace")
    if not _encodable(subject):
        raise BadSubjectError(f"subject {subject!r} cannot be encoded as UTF-8")


def check_subject(subject: str, *, wildcards: bool = False) -> None:
    """Raise BadSubjectError unless ``subject`` is valid; ``wildcards`` allows ``*``, ``>``."""
    check_framing(subject)
    if subject[0] == "." or subject[-1] == "." or ".." in subject:
        raise BadSubjectError(f"subject {subject!r} has an empty token")
    if "*" in subject or ">" in subject:
        if not wildcards:  # as the Tcl client: not even inside a token ("fo*o")
            raise BadSubjectError(f"subject {subject!r} contains a wildcard")
        tokens = subject.split(".")
        for token in tokens:
            if token not in ("*", ">") and ("*" in token or ">" in token):
                raise BadSubjectError(
                    f"subject {subject!r}: a wildcard must be a whole token, not {token!r}"
                )
        if ">" in tokens[:-1]:
            raise BadSubjectError(f"subject {subject!r}: '>' must be the last token")


def check_queue(queue: str) -> None:
    """Raise BadQueueNameError unless ``queue`` is a valid queue group name."""
    if not isinstance(queue, str) or not queue or _has_space(queue) or not _encodable(queue):
        raise BadQueueNameError(f"invalid queue group name {queue!r}")
    if "*" in queue or ">" in queue:
        raise BadQueueNameError(f"queue group name {queue!r} contains a wildcard")


def check_name(name: str, what: str = "name") -> None:
    """Raise InvalidArgError unless ``name`` is a valid stream, consumer or bucket name."""
    if not isinstance(name, str):
        raise InvalidArgError(f"{what} must be a str, not {type(name).__name__}")
    if not name:
        raise InvalidArgError(f"{what} is empty")
    # isprintable() is false for every whitespace character except the ASCII space.
    if not name.isprintable() or any(c in name for c in " .*>/\\"):
        raise InvalidArgError(
            f"invalid {what} {name!r}: whitespace, '.', '*', '>', '/', '\\' "
            "and non-printable characters are not allowed"
        )


def encode_subject(subject: str, *, check: bool, wildcards: bool = False) -> bytes:
    """Encode ``subject`` as UTF-8, checking it first (ADR-6) when ``check`` is true.

    Unchecked subjects still must not be empty or contain whitespace: those
    would break the protocol line.
    """
    if check:
        if not wildcards:
            cached = _cache.get(subject)
            if cached is not None:
                return cached
        check_subject(subject, wildcards=wildcards)
    else:
        check_framing(subject)
    try:
        encoded = subject.encode()
    except UnicodeEncodeError:
        raise BadSubjectError(f"subject {subject!r} cannot be encoded as UTF-8") from None
    if check and not wildcards:
        if len(_cache) >= _CACHE_MAX:
            _cache.clear()
        _cache[subject] = encoded
    return encoded
