"""Messages Faust hands to an agent a second time within one process are processed once.

After a (re)assignment Faust resumes the input partitions before it seeks them to their committed offsets, so a
fetch made in between is delivered, and the same offsets are fetched again after the seek. Faust itself dropped
messages below the offset it read last — which also dropped messages that came out of order, for good — so for the
agents' inputs it drops nothing (streams.app.ReadOffsets) and the agents leave out what this process has already
processed: below the committed offset, or acknowledged and not yet committed (Faust's own bookkeeping)."""

from __future__ import annotations

from collections.abc import Collection, Hashable, Iterable, Mapping
from typing import TypeVar

TP = TypeVar("TP", bound=Hashable)  # a topic partition


def first_deliveries(messages: Iterable[tuple[TP, int]], committed: Mapping[TP, int | None],
                     acknowledged: Mapping[TP, Collection[int]]) -> list[bool]:
    """For each (partition, offset): False when it was processed already — below the partition's committed offset,
    among its acknowledged offsets, or earlier in `messages` — True otherwise."""
    seen: set[tuple[TP, int]] = set()
    out = []
    for tp, offset in messages:
        start = committed.get(tp)
        done = (start is not None and offset < start) or offset in acknowledged.get(tp, ()) or (tp, offset) in seen
        seen.add((tp, offset))
        out.append(not done)
    return out
