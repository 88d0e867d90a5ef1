"""Messages Faust hands to an agent a second time within one process are processed once.

After a (re)assignment Faust resumes the input partitions before it seeks them to their committed offsets, so a
fetch made in between is delivered, and the same offsets are fetched again after the seek. Faust itself dropped
messages below the offset it read last — which also dropped messages that came out of order, for good — so for the
agents' inputs it drops nothing (streams.app.ReadOffsets) and the agents leave out what this process has already
processed: below the committed offset, or finished and not yet committed (`Finished`)."""

from __future__ import annotations

from collections.abc import Collection, Hashable, Iterable, Mapping
from typing import Generic, TypeVar

TP = TypeVar("TP", bound=Hashable)  # a topic partition


def first_deliveries(messages: Iterable[tuple[TP, int]], committed: Mapping[TP, int | None],
                     finished: Mapping[TP, Collection[int]] | Finished[TP]) -> list[bool]:
    """For each (partition, offset): False when it was processed already — below the partition's committed offset,
    among the offsets finished there, or earlier in `messages` — True otherwise."""
    seen: set[tuple[TP, int]] = set()
    out = []
    for tp, offset in messages:
        start = committed.get(tp)
        done = (start is not None and offset < start) or offset in finished.get(tp, ()) or (tp, offset) in seen
        seen.add((tp, offset))
        out.append(not done)
    return out


class Finished(Generic[TP]):
    """The offsets this process finished (processed, writes confirmed, acknowledged) and has not yet seen committed,
    per partition. Kept apart from Faust's record of acknowledged offsets, which loses a run of offsets as soon as a
    commit of them begins, while its committed offset moves only once that commit is done (seen after a graceful
    restart: 20 to 70 events delivered again in that window and processed twice)."""

    def __init__(self) -> None:
        self._offsets: dict[TP, set[int]] = {}
        self._pruned_at: dict[TP, int] = {}  # the committed offset each partition was last pruned to

    def add(self, tp: TP, offset: int) -> None:
        self._offsets.setdefault(tp, set()).add(offset)

    def get(self, tp: TP, default: Collection[int] = ()) -> Collection[int]:
        return self._offsets.get(tp, default)

    def forget_committed(self, committed: Mapping[TP, int | None]) -> None:
        """Drop what is below each partition's committed offset: that offset covers it now."""
        for tp, offsets in self._offsets.items():
            start = committed.get(tp)
            if start is not None and self._pruned_at.get(tp) != start:
                self._offsets[tp] = {offset for offset in offsets if offset >= start}
                self._pruned_at[tp] = start

    def forget(self, tps: Iterable[TP]) -> None:
        """Drop partitions no longer assigned here."""
        for tp in tps:
            self._offsets.pop(tp, None)
            self._pruned_at.pop(tp, None)
