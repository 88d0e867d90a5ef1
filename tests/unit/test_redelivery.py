"""A message handed over twice in one process is processed once (streams.redelivery)."""

from streams.redelivery import first_deliveries


def test_a_message_below_the_committed_offset_was_processed_already() -> None:
    assert first_deliveries([("a", 9), ("a", 10), ("a", 11)], {"a": 10}, {}) == [False, True, True]


def test_an_acknowledged_offset_not_yet_committed_was_processed_already() -> None:
    assert first_deliveries([("a", 12), ("a", 13)], {"a": 10}, {"a": {12}}) == [False, True]


def test_the_same_offset_twice_in_one_batch_is_processed_once() -> None:
    assert first_deliveries([("a", 5), ("b", 5), ("a", 5)], {}, {}) == [True, True, False]


def test_partitions_are_told_apart_and_a_partition_never_committed_takes_everything() -> None:
    committed = {"a": 100, "b": None}
    assert first_deliveries([("a", 3), ("b", 3), ("c", 3)], committed, {"b": set()}) == [False, True, True]


def test_the_restart_race_seen_in_the_graceful_restart_test() -> None:
    """A fetch handed over before the seek (offsets 743-760, acknowledged), the seek back to 743, the fetch again:
    only what follows 760 is new."""
    acknowledged = {"p": set(range(743, 761))}
    again = [("p", offset) for offset in range(743, 765)]
    assert first_deliveries(again, {"p": 743}, acknowledged) == [False] * 18 + [True] * 4
