"""Agent wiring with Faust's agent.test_context(): no broker; the topics' send is captured to see where
each result goes (the stage functions themselves are tested in tests/unit, the broker in tests/integration)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from unittest.mock import AsyncMock, patch

import orjson
import pytest

from streams import agents, codecs
from streams.app import topics
from streams.bench import corpus
from streams.stages.clean import CleanConfig, CleanMemory, clean
from streams.stages.rejected import Rejected

SAMPLE = Path(__file__).resolve().parents[2] / "streams" / "samples" / "en-summit.json"


@pytest.fixture
async def sent() -> AsyncIterator[dict[str, AsyncMock]]:
    """Every output topic's send, captured (without direct sends to the producer, which need a broker and are
    exercised by every integration test, every send goes through its topic's send)."""
    names = ["prepared", "clean", "extracted", "enriched", "claims", "deadletter", "actor_claims", "actor_aggregates"]
    with patch.multiple(topics, **{n: AsyncMock() for n in names}), patch("streams.app.direct_sends", False):
        yield {n: getattr(topics, n) for n in names}


def values(mock: AsyncMock) -> list[Any]:
    return [call.kwargs["value"] for call in mock.send.await_args_list]


async def test_clean_agent_routes_good_articles_on_and_bad_ones_to_dead_letters(sent: dict[str, AsyncMock]
                                                                               ) -> None:
    async with agents.clean_agent.test_context() as agent:
        await agent.put(SAMPLE.read_bytes())
        await agent.put(b"{not json")
        await agent.put(b'{"id": "no-text"}')
    cleaned = [orjson.loads(v) for v in values(sent["prepared"])]
    assert [c["id"] for c in cleaned] == ["en-summit-0001"]
    assert cleaned[0]["lang"] == "en"
    dead = sent["deadletter"].send.await_args_list
    assert [c.kwargs["value"] for c in dead] == [b"{not json", b'{"id": "no-text"}']
    reasons = [dict(c.kwargs["headers"])["x-dlq-reason"] for c in dead]
    assert reasons == [b"invalid_json", b"no_content"]


async def test_claims_agent_publishes_claims_and_actor_events(sent: dict[str, AsyncMock]) -> None:
    from datetime import UTC, datetime

    from streams.codecs import decode_raw_article, encode
    from streams.nlp.pipeline import default_registry, pipeline_for
    from streams.stages.clean import clean
    from streams.stages.enrich import enrich
    from streams.stages.extract import extract

    raw = decode_raw_article(SAMPLE.read_bytes(), 2_000_000)
    enriched = enrich(extract(clean(raw, datetime.now(UTC)), pipeline_for), default_registry())  # type: ignore[arg-type]
    async with agents.claims_agent.test_context() as agent:
        await agent.put(encode(enriched))
        await agent.put(b'{"article": 1}')
    claims = [orjson.loads(v) for v in values(sent["claims"])]
    assert claims and all(c["article_id"] == "en-summit-0001" for c in claims)
    actor_sends = sent["actor_claims"].send.await_args_list
    keys = [call.kwargs["key"] for call in actor_sends]
    assert b"CHN" in keys and b"RUS" in keys and len(keys) == len(set(keys))  # one event per actor
    held = [c for call in actor_sends for c in orjson.loads(call.kwargs["value"])["claims"]]
    assert {c["claim_id"] for c in held} <= {c["claim_id"] for c in claims} and len(held) >= len(claims)
    assert [dict(c.kwargs["headers"])["x-dlq-reason"] for c in sent["deadletter"].send.await_args_list] == [
        b"schema_violation"]


def test_a_partition_is_stalled_only_when_waiting_untaken_and_unmoved_for_the_stall_time() -> None:
    from faust.types import TP

    a, b, c = TP("t.articles.enriched", 2), TP("t.articles.enriched", 3), TP("t.actor-claims", 0)
    seen: dict[object, tuple[int, float]] = {}
    lags, starts = {a: 510, b: 0, c: 40}, {a: 100, b: 7, c: 900}
    assert agents.stalled(lags, starts, set(), seen, now=0.0, stall_s=20) == []
    assert agents.stalled(lags, starts, set(), seen, now=19.0, stall_s=20) == []
    # c is in an agent's hands; so is b, another partition of a's topic, which must not hide a
    assert agents.stalled(lags, starts, {b, c}, seen, now=25.0, stall_s=20) == [a]
    assert agents.stalled(lags, starts, set(), seen, now=30.0, stall_s=20) == []  # a re-read just now
    moved = {a: 100, b: 7, c: 950}
    assert agents.stalled(lags, moved, set(), seen, now=60.0, stall_s=20) == [a]  # c moved at 60
    assert agents.stalled({a: 0}, {a: 100}, set(), seen, now=90.0) == [] and set(seen) == {a}


def test_cleaning_tables_are_swept_at_least_four_times_per_window() -> None:
    assert agents.forget_every_s(14 * 86400, 7 * 86400) == 600.0  # the defaults: every 10 minutes
    assert agents.forget_every_s(120, 600) == 30.0
    assert agents.forget_every_s(1, 1) == 5.0  # never busier than every 5 s


def cleaned_bench_stories(count: int) -> CleanMemory:
    """What cleaning `count` bench stories remembers: the `clean-seen` entries and the caches made as they came."""
    memory = CleanMemory()
    start = datetime.now(UTC)
    for n, story in enumerate(corpus.stories(count, seed=7)):
        raw = codecs.decode_raw_article(orjson.dumps(story.article), 1 << 20)
        assert not isinstance(raw, Rejected), raw
        clean(raw, start + timedelta(seconds=n), memory, CleanConfig())  # one after another, as a worker sees them
    return memory


async def test_rebuilding_the_cleaning_caches_gives_the_event_loop_a_turn_after_every_step() -> None:
    memory = cleaned_bench_stories(60)
    entries = list(memory.seen.items())
    turns = 0
    building = True

    async def other_work() -> None:  # stands for heartbeats, fetches and the other agents
        nonlocal turns
        while building:
            turns += 1
            await asyncio.sleep(0)

    task = asyncio.create_task(other_work())
    await asyncio.sleep(0)
    turns = 0
    index, lines = await agents.rebuild_cleaning_caches(entries, CleanConfig(), step=4)
    building = False
    await task
    assert turns >= len(entries) // 4
    assert lines and lines == memory.lines
    assert set(index.keys) == set(memory.index.keys)


async def test_sweeps_judge_keys_a_step_at_a_time_with_the_loops_turn_between_steps() -> None:
    keys = [f"k{n}" for n in range(10)]
    turns: list[int] = []
    seen: list[list[str]] = []

    async def other_work() -> None:
        while len(seen) < 4:
            turns.append(len(seen))
            await asyncio.sleep(0)

    task = asyncio.create_task(other_work())
    async for step in agents.steps_of(keys, step=3):
        seen.append(step)
    await task
    assert seen == [keys[0:3], keys[3:6], keys[6:9], keys[9:]]
    assert {1, 2, 3} <= set(turns)  # other work ran after each of the first three steps
    assert [s async for s in agents.steps_of([], step=3)] == []
