"""Faults, the way Kafka Streams' system tests prove theirs: kill the worker in a loop, then recompute every output
from the input. 2,000 articles; the worker is `kill -9`ed three times at random points and restarted; at the end
every expected claim id is on `claims` and the aggregates equal the recomputation. A graceful restart (SIGTERM)
loses nothing and sends nothing twice. A second worker that joins mid-stream and leaves loses nothing either, and
the aggregates come out exact.

Marked `faults` (minutes each): `make test` runs them; `pytest -m "not faults"` leaves them out."""

from __future__ import annotations

import asyncio
import random
import signal
import sys
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest
from aiokafka import AIOKafkaProducer
from kafka import KafkaConsumer, TopicPartition

from streams.ends import exact_ends_now
from streams.offline import process
from streams.settings import from_env
from streams.topics import TABLES, all_topics, changelog_topic
from tests.integration.conftest import ROOT, Worker, consume
from tests.integration.test_aggregates_stream import COMPARED, settle

pytestmark = [pytest.mark.integration, pytest.mark.faults]
GOLD_ARTICLES = ROOT / "tests" / "data" / "gold" / "articles"


def sentence_pool() -> list[tuple[str, str]]:
    """(lang, paragraph) from the gold articles given as text: the material generated articles are made of."""
    pool = []
    for path in sorted(GOLD_ARTICLES.glob("*.json")):
        article = orjson.loads(path.read_bytes())
        if "text" not in article:
            continue
        pool += [(article["lang"], p.strip()) for p in article["text"].split("\n\n") if len(p.strip()) > 40]
    return pool


def generated_articles(count: int, seed: int, prefix: str) -> list[dict[str, Any]]:
    """Articles of 3-5 paragraphs of one language drawn at random, each from its own outlet (so no furniture is
    learned), published within the last 3 days."""
    rng = random.Random(seed)
    pool = sentence_pool()
    by_lang = {lang: [p for lg, p in pool if lg == lang] for lang in ("it", "en")}
    now = datetime.now(UTC)
    out = []
    for n in range(count):
        lang = "it" if n % 2 else "en"
        paragraphs = rng.sample(by_lang[lang], rng.randint(3, 5))
        out.append({"id": f"{prefix}-{n}", "outlet": f"outlet-{prefix}-{n}.example", "title": paragraphs[0][:60],
                    "text": "\n\n".join(paragraphs),
                    "published_at": (now - timedelta(minutes=rng.randint(1, 3 * 24 * 60))).isoformat()})
    return out


def expected_claim_ids(articles: list[dict[str, Any]]) -> set[str]:
    """The same stage functions, offline, in the order produced: the claim ids the stream must publish."""
    return {c.claim_id for outcome in process(((a["id"], a) for a in articles), 2 * 1024 * 1024)
            for c in outcome.claims}


def produce_fast(worker: Worker, articles: list[dict[str, Any]]) -> None:
    """All at once (aiokafka: thousands a second), so the worker is stopped with most of them still waiting."""
    async def send_all() -> None:
        producer = AIOKafkaProducer(bootstrap_servers=worker.broker.bootstrap, acks="all", linger_ms=20)
        await producer.start()
        try:
            for article in articles:
                await producer.send(worker.topic("articles.raw"), orjson.dumps(article), key=article["id"].encode())
            await producer.flush()
        finally:
            await producer.stop()

    asyncio.run(send_all())


def articles_done(worker: Worker) -> float:
    """Articles whose claims the worker has published, from its /metrics (cheap to ask, unlike reading claims)."""
    try:
        return worker.metrics().get('claimstream_messages_out_total{outcome="ok",stage="claims"}', 0.0)
    except OSError:
        return 0.0


def wait_for_articles_done(worker: Worker, count: int, timeout_s: float = 120) -> None:
    deadline = time.monotonic() + timeout_s
    while articles_done(worker) < count and time.monotonic() < deadline:
        time.sleep(0.2)


def report(what: str) -> None:
    sys.stderr.write(f"\n[faults] {what}\n")


def wait_for_claims(worker: Worker, expected: set[str], timeout_s: float) -> list[dict[str, Any]]:
    claims = consume(worker.broker, worker.topic("claims"), timeout_s=timeout_s,
                     until=lambda rs: expected <= {c["claim_id"] for c in rs})
    missing = expected - {c["claim_id"] for c in claims}
    assert not missing, (f"{len(missing)} of {len(expected)} claims never published, e.g. {sorted(missing)[:5]}\n"
                         f"{worker.diagnosis()}")
    return claims


@pytest.mark.timeout(1200)  # ~5 min here; the waits below fail with their own message well before this
def test_kill_9_three_times_loses_no_claim_and_aggregates_stay_exact(worker: Worker, tmp_path: Path) -> None:
    articles = generated_articles(2000, seed=7, prefix="crash")
    expected = expected_claim_ids(articles)
    assert len(expected) > 2000
    produce_fast(worker, articles)
    rng = random.Random(11)
    for kill in range(3):
        time.sleep(rng.uniform(3, 12))
        assert worker.proc is not None and worker.proc.poll() is None, worker.log()[-3000:]
        worker.proc.send_signal(signal.SIGKILL)
        worker.proc.wait()
        published = consume(worker.broker, worker.topic("claims"), until=lambda rs: False, timeout_s=3)
        report(f"kill -9 #{kill + 1}: {len({c['claim_id'] for c in published})} of {len(expected)} claims out")
        worker.start().wait_ready(120)
    claims = wait_for_claims(worker, expected, timeout_s=600)
    duplicates = len(claims) - len({c["claim_id"] for c in claims})
    report(f"{len(expected)} claims expected, all published; {duplicates} duplicate claim events "
           f"({100 * duplicates / len(claims):.1f}% of {len(claims)}) from redelivery after the kills")
    assert {c["claim_id"] for c in claims} == expected  # nothing more either
    problems = settle(worker, 300)
    assert problems == [], "\n".join(problems)


def test_graceful_restart_mid_stream_loses_nothing_and_repeats_nothing(worker: Worker) -> None:
    articles = generated_articles(3000, seed=3, prefix="graceful")
    expected = expected_claim_ids(articles)
    produce_fast(worker, articles)
    wait_for_articles_done(worker, len(articles) // 10)
    assert worker.stop() == 0  # SIGTERM, mid-stream
    published = consume(worker.broker, worker.topic("claims"), until=lambda rs: False, timeout_s=3)
    report(f"SIGTERM with {len({c['claim_id'] for c in published})} of {len(expected)} claims out")
    worker.start().wait_ready(120)
    claims = wait_for_claims(worker, expected, timeout_s=240)
    time.sleep(5)  # anything still coming would be a duplicate
    claims = consume(worker.broker, worker.topic("claims"), until=lambda rs: False, timeout_s=3)
    ids = [c["claim_id"] for c in claims]
    report(f"graceful restart: all {len(expected)} claims published, {len(ids) - len(set(ids))} duplicate events")
    assert set(ids) == expected
    assert len(ids) == len(set(ids)), f"graceful restart sent {len(ids) - len(set(ids))} claim events twice"


@pytest.mark.timeout(1200)
def test_a_second_worker_joins_mid_stream_and_leaves_and_nothing_is_lost(worker: Worker, tmp_path: Path) -> None:
    """Two workers share the group's partitions while the second is up; when it leaves, the first takes them all
    back (tables from their changelogs). Every claim comes out and the aggregates equal the recomputation."""
    articles = generated_articles(1500, seed=5, prefix="scale")
    expected = expected_claim_ids(articles)
    produce_fast(worker, articles)
    wait_for_articles_done(worker, len(articles) // 10)
    second = Worker(worker.broker, worker.prefix, tmp_path / "second")
    (tmp_path / "second").mkdir()
    second.start().wait_ready(120)
    try:
        wait_for_articles_done(second, 50, timeout_s=120)  # it really took work
        done_by_second = articles_done(second)
        assert done_by_second >= 50, second.log()[-3000:]
    finally:
        assert second.stop() == 0
    report(f"scale-out: the second worker finished {done_by_second:.0f} articles before it left")
    claims = wait_for_claims(worker, expected, timeout_s=600)
    ids = [c["claim_id"] for c in claims]
    report(f"scale-out: all {len(expected)} claims published, {len(ids) - len(set(ids))} duplicate events "
           "(partitions moved twice)")
    assert set(ids) == expected
    problems = settle(worker, 90)
    assert problems == [], "\n".join(problems)


WINDOWS_COMPARED = ("1h", "24h", "7d")  # read from the 5-minute, hour and day pane tables


def table_answers(worker: Worker, label: str) -> dict[str, dict[str, Any]]:
    """What the worker's tables say of every actor it holds, for a window ending now (GET /actors)."""
    with urllib.request.urlopen(f"http://127.0.0.1:{worker.web_port}/actors?window={label}&top=1000",
                                timeout=10) as response:
        return {r["actor_id"]: {k: r[k] for k in COMPARED} for r in orjson.loads(response.read())}


def recovery_highwaters(worker: Worker) -> dict[tuple[str, int], int]:
    """(changelog topic, partition) -> the offset Faust's recovery read up to, from the first table of active
    highwaters this run of the worker logged ("〃" repeats the topic above)."""
    text = worker.log_path.read_bytes()[worker.log_start:].decode(errors="replace")
    _, found, table = text.partition("Highwater for active changelog partitions:")
    assert found, "the worker logged no recovery highwaters"
    out: dict[tuple[str, int], int] = {}
    topic = ""
    for line in table.splitlines()[4:]:
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if not line.startswith("|") or len(cells) != 3:
            break
        topic = topic if cells[0] == "〃" else cells[0]
        out[(topic, int(cells[1]))] = int(cells[2])
    return out


def changelog_ends(worker: Worker) -> tuple[dict[Any, int], dict[Any, int]]:
    """The ends of every table changelog partition: as the broker reports them, and exact."""
    settings = from_env(worker.env)
    consumer = KafkaConsumer(bootstrap_servers=worker.broker.bootstrap)
    try:
        counts = all_topics(settings)  # the partition count each topic is created with
        changelogs = [changelog_topic(settings, table) for table in TABLES]
        tps = [TopicPartition(topic, p) for topic in changelogs for p in range(counts[topic])]
        reported = consumer.end_offsets(tps)
    finally:
        consumer.close()
    return reported, exact_ends_now(settings, reported)


@pytest.mark.timeout(900)
def test_a_restart_recovers_every_table_write_even_those_in_a_changelogs_last_record_batch(worker: Worker) -> None:
    """Changelog writes travel in ordinary record batches, and the embedded broker reports a partition's end as one
    past the first record of its last batch; a restarted worker must still get back every write (it recovers to the
    exact ends, streams/ends.py). The articles wait while the worker is down, so its aggregator takes them in full
    batches, whose writes share record batches; after a restart the tables must answer exactly as before it.
    Faust's recovery log says how far it read each changelog (its "highwater", the last record's offset): it must be
    the last record, also where the broker reports less (without the exact ends this fails: 519 for 521, 296 for
    297, ...). The tables' answers alone came out equal without them in three runs here: Faust's recovery usually
    applies the rest of a batch it has fetched anyway."""
    assert worker.stop() == 0
    now = datetime.now(UTC)
    articles = generated_articles(300, seed=13, prefix="recover")
    for n, article in enumerate(articles):  # 30-45 minutes ago, then back to 20 hours: a restart moves no claim
        minutes = 30 + n * 0.75 if n < 20 else 45 + n * 3.8  # out of an hour, day or week ending now
        article["published_at"] = (now - timedelta(minutes=minutes)).isoformat()
    produce_fast(worker, articles)
    worker.start().wait_ready(120)
    wait_for_claims(worker, expected_claim_ids(articles), timeout_s=600)
    problems = settle(worker, 120)
    assert problems == [], "\n".join(problems)
    before = {label: table_answers(worker, label) for label in WINDOWS_COMPARED}
    assert before["7d"], "the tables hold no actor"
    assert worker.stop() == 0
    reported, exact = changelog_ends(worker)  # with the worker stopped: nothing writes to them until it is back
    short = sorted(f"{tp.topic}[{tp.partition}]" for tp in reported if exact[tp] > reported[tp])
    report(f"recovery: {len(short)} of {len(reported)} changelog partitions end in a batch of several records: "
           f"{', '.join(short)}")
    assert short, "no changelog ends in a batch of several records: the case this test is about did not happen"
    worker.start().wait_ready(120)
    recovered_to = recovery_highwaters(worker)
    wrong = [f"{tp.topic}[{tp.partition}]: {recovered_to.get((tp.topic, tp.partition))} (last record {end - 1})"
             for tp, end in exact.items() if recovered_to.get((tp.topic, tp.partition)) != end - 1]
    assert wrong == [], "recovery did not read up to the last record:\n" + "\n".join(wrong)
    after = {label: table_answers(worker, label) for label in WINDOWS_COMPARED}
    differ = [f"{label} {actor}: {before[label].get(actor)} -> {after[label].get(actor)}"
              for label in before for actor in sorted(set(before[label]) | set(after[label]))
              if before[label].get(actor) != after[label].get(actor)]
    assert differ == [], "tables after the restart differ:\n" + "\n".join(differ[:20])
