"""ends_after: the exact end from the broker's and the last offset read there (the read itself is tested on the
embedded broker in tests/integration/test_broker.py)."""

from __future__ import annotations

from streams.ends import ends_after


def test_the_end_moves_one_past_the_last_record_read_and_never_back() -> None:
    reported = {"a": 6, "b": 1, "c": 0, "d": 9}
    last_read = {"a": 7, "b": 0, "d": 3}  # d: a stale read cannot move an end back
    assert ends_after(reported, last_read) == {"a": 8, "b": 1, "c": 0, "d": 9}
