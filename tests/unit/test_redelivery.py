"""A message handed over twice in one process is processed once (streams.redelivery)."""

import asyncio

from faust.transport.consumer import Consumer
from faust.types import TP

from streams.redelivery import Finished, first_deliveries
from tests.unit.test_commit_bookkeeping import PART, bookkeeping


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


def test_finished_offsets_cover_what_is_not_yet_committed_and_forget_the_rest() -> None:
    finished: Finished[str] = Finished()
    for offset in (10, 11, 12):
        finished.add("a", offset)
    finished.add("b", 4)
    finished.forget_committed({"a": 12, "b": None})
    assert set(finished.get("a")) == {12} and set(finished.get("b")) == {4}  # b never committed: all kept
    finished.forget_committed({"a": 13})
    finished.forget({"b"})  # no longer assigned here
    assert set(finished.get("a")) == set() and set(finished.get("b")) == set()
    assert first_deliveries([("a", 12), ("a", 13)], {"a": 13}, finished) == [False, True]


def test_a_message_delivered_again_while_its_commit_is_under_way_is_still_seen() -> None:
    """Faust's commit takes the acknowledged run out of its record when it begins (Consumer._new_offset) and moves
    the committed offset when the broker has answered: in between, its own record says nothing about 10-12."""
    faust_state = bookkeeping(10, [10, 11, 12])
    finished: Finished[TP] = Finished()
    for offset in (10, 11, 12):
        finished.add(PART, offset)
    assert Consumer._new_offset(faust_state, PART) == 13  # the commit of 13 has begun
    again = [(PART, offset) for offset in (10, 11, 12, 13)]
    committed = faust_state._committed_offset  # still 10
    assert first_deliveries(again, committed, faust_state._acked_index) == [True, True, True, True]  # Faust's record
    finished.forget_committed(committed)
    assert first_deliveries(again, committed, finished) == [False, False, False, True]


def test_the_worker_forgets_what_it_finished_on_partitions_taken_away() -> None:
    from streams import agents

    agents.finished.add(PART, 5)
    asyncio.run(agents.app.on_partitions_revoked.send({PART}))
    assert not agents.finished.get(PART)
