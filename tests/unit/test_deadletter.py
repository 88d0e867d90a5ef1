"""streams/deadletter.py: the x-dlq-* headers of a rejected message, and reading them back."""

from __future__ import annotations

import base64

import orjson
import pytest

from streams import codecs
from streams.deadletter import (
    MAX_PAYLOAD_BYTES,
    MAX_REASON_CHARS,
    TRUNCATED_HEADER,
    Origin,
    bounded,
    dead_letter_headers,
    describe,
)
from streams.records import DeadLetter
from streams.stages.rejected import Rejected

HEADER_NAMES = ["x-dlq-reason", "x-dlq-detail", "x-dlq-stage", "x-dlq-origin-topic", "x-dlq-origin-partition",
                "x-dlq-origin-offset"]


def headers_for(
    rejected: Rejected, stage: str = "clean", origin: Origin | None = None
) -> list[tuple[str, bytes]]:
    return dead_letter_headers(rejected, stage, origin or Origin("t1-articles.raw", 3, 42))


def test_exactly_the_dead_letter_headers_with_their_values() -> None:
    headers = headers_for(Rejected("invalid_json", "unexpected character"), "clean",
                          Origin("t1-articles.raw", 3, 42))
    assert [name for name, _ in headers] == HEADER_NAMES
    values = dict(headers)
    assert values["x-dlq-stage"] == b"clean"
    assert values["x-dlq-origin-topic"] == b"t1-articles.raw"
    assert values["x-dlq-origin-partition"] == b"3"
    assert values["x-dlq-origin-offset"] == b"42"
    assert values["x-dlq-reason"] == b"invalid_json"  # the bounded label alone
    assert values["x-dlq-detail"] == b"unexpected character"


def test_header_values_are_bytes() -> None:
    for name, value in headers_for(Rejected("oversized", "3000000 bytes > limit 2097152")):
        assert isinstance(name, str)
        assert isinstance(value, bytes)


def test_reason_without_detail_is_just_the_label() -> None:
    assert dict(headers_for(Rejected("no_content")))["x-dlq-reason"] == b"no_content"


def test_describe_round_trips_the_headers() -> None:
    rejected = Rejected("schema_violation", "id: 5 is not of type 'string'")
    headers = headers_for(rejected, "clean", Origin("p-articles.raw", 2, 1234567890123))
    letter = describe(b'{"id": 5}', headers)
    assert isinstance(letter, DeadLetter)
    assert letter.reason == rejected.reason
    assert letter.detail == rejected.detail
    assert letter.stage == "clean"
    assert letter.origin_topic == "p-articles.raw"
    assert letter.origin_partition == 2
    assert letter.origin_offset == 1234567890123
    assert letter.payload == '{"id": 5}'
    assert letter.payload_encoding == "utf-8"


def test_describe_accepts_a_dict_of_headers() -> None:
    headers = headers_for(Rejected("oversized", "big"), "clean", Origin("articles.raw", 0, 7))
    assert describe(b"x", dict(headers)) == describe(b"x", headers)


def test_describe_ignores_headers_that_are_not_dead_letter_headers() -> None:
    headers = [("traceparent", b"00-abc"), *headers_for(Rejected("invalid_json", "x")), ("x-other", b"1")]
    assert describe(b"{", headers) == describe(b"{", headers_for(Rejected("invalid_json", "x")))


def test_describe_without_headers_or_value() -> None:
    letter = describe(None, [])
    assert letter.reason == ""
    assert letter.stage == ""
    assert letter.origin_partition == -1
    assert letter.origin_offset == -1
    assert letter.payload == ""
    assert letter.payload_encoding == "utf-8"


def test_describe_with_unparsable_partition_and_offset() -> None:
    letter = describe(b"", [("x-dlq-origin-partition", b"three"), ("x-dlq-origin-offset", b"")])
    assert letter.origin_partition == -1
    assert letter.origin_offset == -1


def test_utf8_payload_is_shown_as_text() -> None:
    payload = '{"id": "x", "text": "perché «così»"}'.encode()
    letter = describe(payload, headers_for(Rejected("no_content")))
    assert letter.payload_encoding == "utf-8"
    assert letter.payload == payload.decode("utf-8")


@pytest.mark.parametrize("payload", [b'{"id":"x","text":"\xff\xfe"}', b"\x80", bytes(range(256))])
def test_invalid_utf8_payload_is_base64_of_the_original_bytes(payload: bytes) -> None:
    letter = describe(payload, headers_for(Rejected("invalid_utf8", "str is not valid UTF-8")))
    assert letter.payload_encoding == "base64"
    assert base64.b64decode(letter.payload) == payload


def test_very_long_detail_is_truncated() -> None:
    detail = "x" * (MAX_REASON_CHARS * 5)
    headers = dict(headers_for(Rejected("schema_violation", detail)))
    text = headers["x-dlq-detail"].decode("utf-8")
    assert len(text) == MAX_REASON_CHARS
    assert headers["x-dlq-reason"] == b"schema_violation"
    assert describe(b"", headers_for(Rejected("schema_violation", detail))).detail == text


def test_truncation_counts_characters_and_keeps_valid_utf8() -> None:
    detail = "é" * (MAX_REASON_CHARS * 2)  # two bytes each
    value = dict(headers_for(Rejected("schema_violation", detail)))["x-dlq-detail"]
    text = value.decode("utf-8")  # no split multi-byte sequence
    assert len(text) == MAX_REASON_CHARS


def test_detail_at_the_limit_is_kept_whole() -> None:
    rejected = Rejected("r", "y" * MAX_REASON_CHARS)
    assert dict(headers_for(rejected))["x-dlq-detail"].decode() == rejected.detail


def test_described_dead_letter_validates_against_its_schema() -> None:
    for payload in (b'{"id": 5}', b"\xff\xfe", None):
        letter = describe(payload, headers_for(Rejected("invalid_utf8", "bad")))
        data = orjson.loads(codecs.encode(letter))
        assert codecs.schema_errors(DeadLetter.schema, data) == []


def test_replay_target_is_the_origin_topic_unless_filtered_or_cut() -> None:
    from streams.kafka_io import replay_target

    headers = dict(dead_letter_headers(Rejected("invalid_json", "x"), "clean", Origin("p.articles.raw", 0, 3)))
    assert replay_target(headers, set(), None) == ("p.articles.raw", "invalid_json")
    assert replay_target(headers, {"invalid_json"}, "clean") == ("p.articles.raw", "invalid_json")
    assert replay_target(headers, {"oversized"}, None) == (None, "not selected")
    assert replay_target(headers, set(), "extract") == (None, "not selected")
    _, cut = bounded(b"x" * (MAX_PAYLOAD_BYTES + 1), list(headers.items()))
    target, why = replay_target(dict(cut), set(), None)
    assert target is None and why.startswith("truncated")
    assert replay_target({"x-dlq-reason": b"invalid_json"}, set(), None) == (None, "no origin topic")


def test_bounded_keeps_small_values_and_cuts_large_ones_saying_how_large() -> None:
    headers = [("x-dlq-reason", b"oversized")]
    assert bounded(b"small", headers) == (b"small", headers)
    assert bounded(None, headers) == (None, headers)
    value, cut = bounded(b"y" * (MAX_PAYLOAD_BYTES + 10), headers)
    assert value == b"y" * MAX_PAYLOAD_BYTES and dict(cut)[TRUNCATED_HEADER] == str(MAX_PAYLOAD_BYTES + 10).encode()
