"""streams.app.commit_only_what_was_processed, on Faust's own commit bookkeeping (faust.transport.consumer.Consumer):
an offset is committed only once every message up to it was acknowledged."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from types import SimpleNamespace
from typing import Any

from faust.transport.consumer import Consumer
from faust.types import TP
from intervaltree import IntervalTree

from streams.app import ReadOffsets, commit_only_what_was_processed

PART = TP("articles.enriched", 2)


def bookkeeping(committed: int | None, acked: list[int]) -> Any:  # stands in for a Consumer
    """The attributes Consumer._new_offset and _add_gap read and write, for one partition."""
    return SimpleNamespace(_acked=defaultdict(list, {PART: list(acked)}),
                           _acked_index=defaultdict(set, {PART: set(acked)}),
                           _committed_offset=defaultdict(lambda: None, {PART: committed}),
                           _gap=defaultdict(IntervalTree))


def test_nothing_is_committed_past_an_unacknowledged_head() -> None:
    commit_only_what_was_processed()
    # Faust alone would commit 13 here: the message at offset 10 was never acknowledged.
    assert Consumer._new_offset(bookkeeping(10, [11, 12]), PART) is None
    assert Consumer._new_offset(bookkeeping(10, [10, 11, 12]), PART) == 13
    assert Consumer._new_offset(bookkeeping(10, [10, 11, 13]), PART) == 12
    assert Consumer._new_offset(bookkeeping(None, [0, 1]), PART) == 2


def test_a_jump_in_fetched_offsets_is_not_a_gap_to_commit() -> None:
    commit_only_what_was_processed()
    state = bookkeeping(10, [10])
    asyncio.run(Consumer._add_gap(state, PART, 11, 20))
    assert not state._gap[PART]
    assert Consumer._new_offset(state, PART) == 11  # not 20: offsets 11-19 were never processed


def test_the_fetch_loop_drops_nothing_of_an_acknowledged_topic_and_the_rest_reads_as_before() -> None:
    """Faust's fetch loop drops a message below `_read_offset[tp]`; for the agents' inputs it is told None, so a
    message handed over out of order after a seek is still delivered (the agents leave out repeats)."""
    offsets = ReadOffsets(lambda topic: topic == PART.topic)
    changelog = TP("actor-panes-1h-changelog", 2)
    assert offsets[PART] is None and offsets[changelog] is None  # nothing read yet
    offsets[PART], offsets[changelog] = 146, 80
    assert offsets[PART] is None and offsets.get(PART) == 146  # the fetch loop sees None; `.get` the offset
    assert offsets[changelog] == 80
    offsets.pop(PART)
    assert PART not in offsets and offsets.get(PART) is None


def test_the_workers_consumer_keeps_its_read_offsets_that_way() -> None:
    from streams.app import app

    assert isinstance(app.consumer._read_offset, ReadOffsets)
