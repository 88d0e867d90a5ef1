"""The one place that turns a rejected message into a dead letter (and back, for people)."""

from __future__ import annotations

import base64
from dataclasses import dataclass

from streams.records import DeadLetter
from streams.stages.rejected import Rejected

# Header values are bounded so a huge error message cannot bloat the dead-letter topic.
MAX_REASON_CHARS = 1000
HEADER_PREFIX = "x-dlq-"
# A dead letter carries at most this much of the original value (a 20 MB pill would not fit the producer's request
# limit); the whole original stays on its origin topic at the offset the headers give.
MAX_PAYLOAD_BYTES = 512 * 1024
TRUNCATED_HEADER = "x-dlq-truncated-from"


@dataclass(frozen=True)
class Origin:
    topic: str
    partition: int
    offset: int


def dead_letter_headers(rejected: Rejected, stage: str, origin: Origin) -> list[tuple[str, bytes]]:
    """The x-dlq-* headers of the architecture; the message value stays the original bytes."""
    return [
        ("x-dlq-reason", rejected.reason.encode("utf-8", "replace")),
        ("x-dlq-detail", rejected.detail[:MAX_REASON_CHARS].encode("utf-8", "replace")),
        ("x-dlq-stage", stage.encode()),
        ("x-dlq-origin-topic", origin.topic.encode()),
        ("x-dlq-origin-partition", str(origin.partition).encode()),
        ("x-dlq-origin-offset", str(origin.offset).encode()),
    ]


def bounded(value: bytes | None, headers: list[tuple[str, bytes]]) -> tuple[bytes | None, list[tuple[str, bytes]]]:
    """The value to send as the dead letter: the original, or its first MAX_PAYLOAD_BYTES with a header giving
    the original size."""
    if value is None or len(value) <= MAX_PAYLOAD_BYTES:
        return value, headers
    return value[:MAX_PAYLOAD_BYTES], [*headers, (TRUNCATED_HEADER, str(len(value)).encode())]


def describe(value: bytes | None, headers: list[tuple[str, bytes]] | dict[str, bytes]) -> DeadLetter:
    """A dead letter as a record people can read (what `claimstream tail deadletter` prints)."""
    items = headers.items() if isinstance(headers, dict) else headers
    h = {k: (v or b"").decode("utf-8", "replace") for k, v in items if k.startswith(HEADER_PREFIX)}
    payload = value or b""
    try:
        text, encoding = payload.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        text, encoding = base64.b64encode(payload).decode("ascii"), "base64"
    return DeadLetter(
        reason=h.get("x-dlq-reason", ""),
        detail=h.get("x-dlq-detail", ""),
        stage=h.get("x-dlq-stage", ""),
        origin_topic=h.get("x-dlq-origin-topic", ""),
        origin_partition=_int(h.get("x-dlq-origin-partition")),
        origin_offset=_int(h.get("x-dlq-origin-offset")),
        payload=text,
        payload_encoding=encoding,
    )


def _int(value: str | None) -> int:
    try:
        return int(value or -1)
    except ValueError:
        return -1
