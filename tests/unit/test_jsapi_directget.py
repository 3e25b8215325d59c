"""Batched direct get and stream info requests and replies (ADR-31 rev 2), without a server."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from natskit import Headers, InvalidArgError, JetStreamError
from natskit._jsapi.directget import (
    EndOfBatch,
    batch_request,
    batch_status_error,
    check_batched,
    end_of_batch,
    multi_last_request,
    next_batch,
    stream_info_request,
    subjects_left,
)

T = datetime(2025, 1, 2, 3, 4, 5, tzinfo=timezone.utc)


def test_batch_request() -> None:
    def req(**kw: object) -> dict[str, object]:
        args: dict[str, object] = {
            "seq": None,
            "subject": None,
            "batch": 100,
            "max_bytes": None,
            "start_time": None,
        }
        return batch_request(**{**args, **kw})  # type: ignore[arg-type]

    assert req() == {"batch": 100, "seq": 1}
    assert req(seq=4, subject="a.>", batch=3, max_bytes=2002) == {
        "batch": 3,
        "seq": 4,
        "next_by_subj": "a.>",
        "max_bytes": 2002,
    }
    assert req(start_time=T) == {"batch": 100, "start_time": "2025-01-02T03:04:05Z"}
    for bad in ({"batch": 0}, {"seq": -1}, {"seq": 1, "start_time": T}, {"max_bytes": 0}):
        with pytest.raises(InvalidArgError):
            req(**bad)


def test_multi_last_request() -> None:
    assert multi_last_request("a.*", up_to_seq=None, up_to_time=None) == {"multi_last": ["a.*"]}
    assert multi_last_request(("a", "b"), up_to_seq=9, up_to_time=None) == {
        "multi_last": ["a", "b"],
        "up_to_seq": 9,
    }
    assert multi_last_request(["a"], up_to_seq=None, up_to_time=T)["up_to_time"].startswith("2025")
    with pytest.raises(InvalidArgError):
        multi_last_request([], up_to_seq=None, up_to_time=None)
    with pytest.raises(InvalidArgError):
        multi_last_request(5, up_to_seq=None, up_to_time=None)


def test_end_of_batch_and_paging() -> None:
    eob = end_of_batch(Headers({"Nats-Num-Pending": "7", "Nats-Last-Sequence": "40"}))
    assert eob == EndOfBatch(7, 40, None)
    req = {"batch": 10, "start_time": "x", "next_by_subj": "a"}
    assert next_batch(req, eob) == {"batch": 10, "next_by_subj": "a", "seq": 41}
    assert next_batch(req, EndOfBatch(0, 40)) is None
    # a multi-last read pages in the snapshot of its first reply (ADR-31 rev 6)
    multi = {"multi_last": ["a.>"], "up_to_time": "x"}
    assert next_batch(multi, EndOfBatch(3, 12, 50)) == {
        "multi_last": ["a.>"],
        "seq": 13,
        "up_to_seq": 50,
    }


def test_old_server_and_statuses() -> None:
    with pytest.raises(JetStreamError, match=r"2\.11"):
        check_batched(Headers({"Nats-Sequence": "1"}), "S")
    check_batched(Headers({"Nats-Num-Pending": "0"}), "S")
    assert batch_status_error(404, "Message Not Found", "S") is None
    assert "1024" in str(batch_status_error(413, "Too Many Subjects", "S"))


def test_stream_info_request_and_pages() -> None:
    assert stream_info_request(None, False) is None
    assert stream_info_request(">", True, 3) == {
        "subjects_filter": ">",
        "deleted_details": True,
        "offset": 3,
    }
    with pytest.raises(InvalidArgError, match="subjects_filter"):
        stream_info_request("", False)
    with pytest.raises(InvalidArgError, match="deleted_details"):
        stream_info_request(None, 1)  # type: ignore[arg-type]
    page = {"total": 250, "state": {"subjects": {"a": 1}}}
    assert subjects_left(page, 100) and not subjects_left(page, 250)
    assert not subjects_left({"state": {"subjects": {"a": 1}}}, 1)  # not paged
    assert not subjects_left({"total": 250, "state": {}}, 100)  # an empty page ends it
