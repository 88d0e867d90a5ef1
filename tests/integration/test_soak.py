"""Soak: 50,000 short articles through one worker (CLAIMSTREAM_SOAK_ARTICLES to change the count). Its memory stays
flat — resident set size reported at 10 % and at the end — and its tables stay bounded by their expiry: event
time runs through thirty days (1,700 articles a day), so pane tables hold only the live panes, and the cleaning
windows are set to ten seconds so the cleaning tables drop what is older. The articles come as a feed would: a
chunk whenever fewer than `BACKLOG` wait; the worker fetches with a longer wait than its loopback default, which
the embedded broker needs once it holds this much (README, "The embedded broker").

Marked `faults` with the other long runs: `make test` runs it."""

from __future__ import annotations

import asyncio
import os
import random
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest
from aiokafka import AIOKafkaProducer

from streams.agents import forget_every_s
from streams.broker import EmbeddedBroker, free_port
from streams.stages.aggregates import DAY_S, RECENT_KEEP_S
from tests.integration.conftest import Worker, consume
from tests.integration.test_faults import sentence_pool

pytestmark = [pytest.mark.integration, pytest.mark.faults]
ARTICLES = int(os.environ.get("CLAIMSTREAM_SOAK_ARTICLES", "50000"))
EXPIRY_EVERY_S = 60  # Faust's window expiry (streams.app: table_cleanup_interval)
WINDOW_S = 10  # the cleaning windows (learned furniture, near-duplicates) for this run: swept every 5 s
# Tansu lists every batch of a partition on each fetch, within the fetch's wait: with the 25 ms default, partitions
# of tens of thousands of batches came back empty for good (README, "The embedded broker").
FETCH_WAIT_MS = 500
BACKLOG = 2000  # a chunk of this many goes out whenever fewer than this many wait for the claims stage


def short_articles(count: int, seed: int) -> list[dict[str, Any]]:
    """One paragraph each, from the gold articles' paragraphs with a per-article sentence so no two are copies;
    published in order over the last thirty days."""
    rng = random.Random(seed)
    pool = sentence_pool()
    start = datetime.now(UTC) - timedelta(days=30)
    step = timedelta(days=30) / count
    out = []
    for n in range(count):
        lang, paragraph = pool[rng.randrange(len(pool))]
        tail = f" Report number {n}." if lang == "en" else f" Notizia numero {n}."
        out.append({"id": f"soak-{n}", "outlet": f"outlet-{n}.example", "text": paragraph + tail,
                    "published_at": (start + n * step).isoformat()})
    return out


def produce_all(bootstrap: str, topic: str, articles: list[dict[str, Any]]) -> None:
    async def send_all() -> None:
        producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=20)
        await producer.start()
        try:
            for article in articles:
                await producer.send(topic, orjson.dumps(article), key=article["id"].encode())
            await producer.flush()
        finally:
            await producer.stop()

    asyncio.run(send_all())


@dataclass(frozen=True)
class Reading:
    aggregated: float  # actor-claim events the aggregator had taken in
    keys: dict[str, float]  # table -> keys held


def reading(metrics: dict[str, float]) -> Reading:
    return Reading(metrics.get('claimstream_messages_in_total{stage="aggregates"}', 0.0),
                   {series.split('"')[1]: value for series, value in metrics.items()
                    if series.startswith("claimstream_table_keys{")})


def faust_worker_pid(supervisor_pid: int) -> int:
    """`claimstream worker` supervises one Faust worker process: its only child."""
    with open(f"/proc/{supervisor_pid}/task/{supervisor_pid}/children") as f:
        return int(f.read().split()[0])


def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as f:
        return next(int(line.split()[1]) / 1024 for line in f if line.startswith("VmRSS"))


@pytest.fixture
def soak_broker(tmp_path: Path) -> Iterator[EmbeddedBroker]:
    """A broker of its own: the embedded broker slows as it fills, and the session's holds every earlier test's
    topics (the soak fell to ~7 articles/s on it)."""
    with EmbeddedBroker("127.0.0.1", free_port(), log_file=tmp_path / "tansu.log") as broker:
        yield broker


@pytest.fixture
def soak_worker(soak_broker: EmbeddedBroker, tmp_path: Path) -> Iterator[Worker]:
    worker = Worker(soak_broker, f"s{uuid.uuid4().hex[:8]}.", tmp_path)
    os.environ["CLAIMSTREAM_LEARN_WINDOW_S"] = os.environ["CLAIMSTREAM_DEDUPE_WINDOW_S"] = str(WINDOW_S)
    os.environ["CLAIMSTREAM_FETCH_MAX_WAIT_MS"] = str(FETCH_WAIT_MS)
    try:
        worker.start()  # the worker's environment is read here
    finally:
        del os.environ["CLAIMSTREAM_LEARN_WINDOW_S"], os.environ["CLAIMSTREAM_DEDUPE_WINDOW_S"]
        del os.environ["CLAIMSTREAM_FETCH_MAX_WAIT_MS"]
    try:
        worker.wait_ready(120)
        yield worker
    finally:
        worker.stop()


@pytest.mark.timeout(2400)
def test_50000_articles_memory_flat_and_tables_bounded(soak_worker: Worker) -> None:
    worker = soak_worker
    articles = short_articles(ARTICLES, seed=13)
    produced = 0
    assert worker.proc is not None
    pid = faust_worker_pid(worker.proc.pid)
    started = time.monotonic()
    done_key = 'claimstream_messages_in_total{stage="claims"}'
    rss_early = None
    readings: list[Reading] = []
    done = 0.0
    while time.monotonic() - started < 2100:
        metrics = worker.metrics()
        done = metrics.get(done_key, 0.0)
        if produced < ARTICLES and produced - done < BACKLOG:
            chunk = articles[produced:produced + BACKLOG]
            produce_all(worker.broker.bootstrap, worker.topic("articles.raw"), chunk)
            produced += len(chunk)
        readings.append(reading(metrics))
        if rss_early is None and done >= ARTICLES / 10:
            rss_early = rss_mb(pid)
        lag = sum(v for s, v in metrics.items() if s.startswith("claimstream_consumer_lag_messages{"))
        if metrics.get('claimstream_messages_in_total{stage="clean"}', 0.0) >= ARTICLES and lag == 0:
            break
        time.sleep(2)
    took = time.monotonic() - started
    rss_end = rss_mb(pid)
    final = worker.metrics()
    # Faust expires windows once a minute (table_cleanup_interval), days of event time apart in this run: the
    # bound is what the tables hold once expiry has run with every article in.
    time.sleep(EXPIRY_EVERY_S + 5)
    readings.append(reading(worker.metrics()))
    keys_by_table = {table: [r.keys[table] for r in readings if table in r.keys]
                     for table in sorted({t for r in readings for t in r.keys})}
    sys.stderr.write(
        f"\n[soak] {ARTICLES} articles in {took:.0f} s ({ARTICLES / took:.0f}/s); {done:.0f} reached the claims "
        f"stage; worker RSS {rss_early or 0:.0f} MB at 10 %, {rss_end:.0f} MB at the end; table keys (max, after "
        "expiry): " + ", ".join(f"{t} {max(v):.0f}/{v[-1]:.0f}" for t, v in sorted(keys_by_table.items())) + "\n")
    assert final.get(done_key, 0.0) >= ARTICLES, (
        f"only {final.get(done_key, 0.0):.0f} articles reached claims\n{worker.diagnosis()}")
    assert rss_early is not None and rss_end < rss_early * 1.25 + 30, (rss_early, rss_end)
    # Bounded by expiry: the pane tables hold no more at the end than at their peak while the aggregator went
    # through the first half of the events (15 days of event time, far past their keep of a day at most), and the
    # cleaning tables what arrived within a window and a sweep. (Halves by the aggregator's progress, not by the
    # clock: it can run well behind the claims stage.)
    half = readings[-1].aggregated / 2
    for table in ("actor-panes-5m", "actor-panes-1h"):
        name = next(t for t in keys_by_table if t.endswith(table))
        peak = max(r.keys.get(name, 0.0) for r in readings if r.aggregated <= half)
        assert keys_by_table[name][-1] <= peak * 1.5 + 50, (table, peak, keys_by_table[name][::4])
    # Recent claims are kept 8 days, so they fill for a quarter of the run: against every key the table ever had
    # (the distinct keys on its changelog), it holds at most the kept days' share of the thirty.
    name = next(t for t in keys_by_table if t.endswith("actor-recent-claims"))
    changelog = f"claimstream-{worker.prefix.strip('.')}-{name}-changelog"
    ever = len(set(consume(worker.broker, changelog, until=lambda rs: False, timeout_s=20, decode=lambda m: m.key)))
    kept_share = (RECENT_KEEP_S + DAY_S) / (30 * DAY_S)
    sys.stderr.write(f"[soak] actor-recent-claims: {ever} keys ever, {keys_by_table[name][-1]:.0f} after expiry\n")
    assert keys_by_table[name][-1] <= ever * kept_share * 1.5 + 50, (ever, keys_by_table[name][::4])
    held = ARTICLES / took * (WINDOW_S + forget_every_s(WINDOW_S, WINDOW_S)) * 1.5 + 100
    for table in ("clean-seen", "clean-lines"):
        series = next(v for t, v in keys_by_table.items() if t.endswith(table))
        assert series[-1] <= held, (table, series[-1], held)
