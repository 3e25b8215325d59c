"""Sans-I/O NATS protocol core: the parser, command encoders, checks and ids."""

from natskit._protocol.commands import (
    PING_CMD,
    PONG_CMD,
    connect_cmd,
    hpub_cmd,
    pub_cmd,
    sub_cmd,
    unsub_cmd,
)
from natskit._protocol.headers import decode_headers, encode_headers
from natskit._protocol.nuid import NUID, next_nuid
from natskit._protocol.parser import (
    MAX_CONTROL_LINE,
    MAX_INFO_LINE,
    OK,
    PING,
    PONG,
    Err,
    Frame,
    Info,
    MsgFrame,
    Ok,
    Parser,
    Ping,
    Pong,
)
from natskit._protocol.publish import LARGE, UNLIMITED, PubEncoder, ack_cmd
from natskit._protocol.subjects import (
    check_framing,
    check_name,
    check_queue,
    check_subject,
    encode_subject,
)

__all__ = [
    "LARGE",
    "MAX_CONTROL_LINE",
    "MAX_INFO_LINE",
    "NUID",
    "OK",
    "PING",
    "PING_CMD",
    "PONG",
    "PONG_CMD",
    "UNLIMITED",
    "Err",
    "Frame",
    "Info",
    "MsgFrame",
    "Ok",
    "Parser",
    "Ping",
    "Pong",
    "PubEncoder",
    "ack_cmd",
    "check_framing",
    "check_name",
    "check_queue",
    "check_subject",
    "connect_cmd",
    "decode_headers",
    "encode_headers",
    "encode_subject",
    "hpub_cmd",
    "next_nuid",
    "pub_cmd",
    "sub_cmd",
    "unsub_cmd",
]
