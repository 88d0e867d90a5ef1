"""streams.draining.commit_all on Faust's own commit gate (faust.transport.consumer.Consumer): a commit asked for
while another is under way must still happen, after that one."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any

from faust.transport.consumer import Consumer

from streams.draining import commit_all


class CommitGate(SimpleNamespace):
    """The attributes Consumer.commit's gate reads, and a commit that goes through it the way Faust's does."""

    def __init__(self) -> None:
        super().__init__(_commit_fut=None, committed=[])

    async def maybe_wait_for_commit_to_finish(self) -> bool:
        return await Consumer.maybe_wait_for_commit_to_finish(self)  # type: ignore[arg-type]

    async def commit(self, offsets: Any = "everything acknowledged") -> bool:
        if await self.maybe_wait_for_commit_to_finish():
            return False  # Faust: "original commit finished, return False as we did not commit"
        self._commit_fut = asyncio.get_running_loop().create_future()
        try:
            await asyncio.sleep(0.01)  # the broker's answer
            self.committed.append(offsets)
            return True
        finally:
            fut, self._commit_fut = self._commit_fut, None
            fut.set_result(None)


def test_a_commit_asked_for_during_another_one_happens_after_it() -> None:
    async def scenario() -> list[Any]:
        gate = CommitGate()
        periodic = asyncio.ensure_future(gate.commit("what was acknowledged before the drain"))
        await asyncio.sleep(0)  # the periodic commit is under way
        assert not await gate.commit("the drain's, the plain way")  # Faust's commit: nothing committed
        periodic2 = asyncio.ensure_future(gate.commit("what was acknowledged before the drain"))
        await asyncio.sleep(0)
        await commit_all(gate)
        await asyncio.gather(periodic, periodic2)
        return list(gate.committed)

    committed = asyncio.run(scenario())
    assert committed[-1] == "everything acknowledged" and len(committed) == 3
