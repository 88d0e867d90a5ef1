"""streams.draining.commit_all on Faust's own commit gate (faust.transport.consumer.Consumer): a commit asked for
while another is under way must still happen, after that one."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any

from faust.transport.consumer import Consumer

from streams.draining import commit_all


class CommitGate(SimpleNamespace):
    """What Faust's Consumer.commit reads, around its real commit() and gate; force_commit stands for the broker's
    round trip and records what it committed."""

    def __init__(self) -> None:
        super().__init__(_commit_fut=None, app=SimpleNamespace(client_only=False),
                         loop=asyncio.get_running_loop(), committed=[], asked=[])

    async def maybe_wait_for_commit_to_finish(self) -> bool:
        return await Consumer.maybe_wait_for_commit_to_finish(self)  # type: ignore[arg-type]

    async def commit(self, topics: Any = None, start_new_transaction: bool = True) -> bool:
        return await Consumer.commit(self, topics, start_new_transaction)  # type: ignore[arg-type]

    async def force_commit(self, topics: Any = None, start_new_transaction: bool = True) -> bool:
        offsets = self.asked[-1]  # what is acknowledged when the commit begins
        await asyncio.sleep(0.01)  # the broker's answer
        self.committed.append(offsets)
        return True


def test_a_commit_asked_for_during_another_one_happens_after_it() -> None:
    async def scenario() -> list[Any]:
        gate = CommitGate()
        gate.asked.append("what was acknowledged before the drain")
        periodic = asyncio.ensure_future(gate.commit())
        await asyncio.sleep(0)  # the periodic commit is under way
        gate.asked.append("the last acknowledgements")
        assert not await gate.commit()  # Faust's commit() waits for the other one and commits nothing
        periodic = asyncio.ensure_future(gate.commit())  # the next periodic one, under way again
        await asyncio.sleep(0)
        gate.asked.append("everything acknowledged")
        await commit_all(gate)
        await periodic
        return list(gate.committed)

    committed = asyncio.run(scenario())
    assert committed[-1] == "everything acknowledged" and len(committed) == 3
