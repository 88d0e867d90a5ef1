"""Rolling aggregates and claim links on the stream, compared with a recomputation from the claims topic:
after a normal run, after the same articles are produced twice, and after kill -9 + restart mid-stream."""

from __future__ import annotations

import signal
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pytest
from kafka import KafkaConsumer, TopicPartition
from kafka.coordinator.assignors.range import RangePartitionAssignor
from kafka.structs import OffsetAndMetadata

from streams.stages.aggregates import WINDOW_BY_LABEL, recompute
from tests.integration.conftest import SAMPLES, Worker, consume, produce

pytestmark = pytest.mark.integration
COMPARED = ("claims", "articles", "sources", "by_type", "by_certainty")


def articles(prefix: str, hours_ago: list[float]) -> list[bytes]:
    """The bundled samples as raw events published a few hours ago (so every window holds them)."""
    out = []
    texts = [p for p in sorted(SAMPLES.iterdir()) if p.suffix == ".txt"]
    for n, hours in enumerate(hours_ago):
        path = texts[n % len(texts)]
        title, _, body = path.read_text(encoding="utf-8").partition("\n")
        published = (datetime.now(UTC) - timedelta(hours=hours)).isoformat()
        out.append(orjson.dumps({"id": f"{prefix}-{n}", "outlet": f"outlet-{n}.example", "title": title,
                                 "text": body + f"\n\nEdizione numero {n} del servizio.", "published_at": published}))
    return out


def latest_records(worker: Worker) -> dict[tuple[str, str], dict[str, Any]]:
    records = consume(worker.broker, worker.topic("actor-aggregates"), until=lambda rs: False, timeout_s=3)
    return {(r["actor_id"], r["window"]): r for r in records}


def mismatches(worker: Worker) -> list[str]:
    """Where the last published records differ from the recomputation over the claims topic."""
    claims = consume(worker.broker, worker.topic("claims"), until=lambda rs: False, timeout_s=3)
    latest = latest_records(worker)
    problems = []
    for label in ("24h", "7d"):
        spec = WINDOW_BY_LABEL[label]
        ends = {actor: datetime.fromisoformat(r["window_end"]).timestamp() - 1
                for (actor, lab), r in latest.items() if lab == label}
        expected = recompute(claims, spec, ends)
        for actor, window in expected.items():
            got = latest.get((actor, label))
            want = {"claims": window["claims"], "articles": len(window["articles"]),
                    "sources": len(window["sources"]), "by_type": dict(window["by_type"]),
                    "by_certainty": dict(window["by_certainty"])}
            if got is None or {k: got[k] for k in COMPARED} != want:
                problems.append(f"{actor} {label}: got {got and {k: got[k] for k in COMPARED}} want {want} "
                                f"end {ends.get(actor)}")
    return problems


def settle(worker: Worker, timeout_s: float = 90) -> list[str]:
    deadline = time.monotonic() + timeout_s
    problems = ["not compared yet"]
    while time.monotonic() < deadline and problems:
        time.sleep(3)
        problems = mismatches(worker)
    if problems:  # the worker's complaints, if any
        problems += [f"  log: {line[:300]}" for line in worker.log().splitlines()
                     if "Crash" in line or "Error" in line or "dead letter" in line][:20]
    for problem in [p for p in problems if not p.startswith(" ")]:  # what the tables answer now
        actor, label = problem.replace(":", "").split(" ")[:2]
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{worker.web_port}/actors/{actor}?window={label}",
                                        timeout=10) as r:
                problems.append(f"  tables now: {actor} {label} claims={orjson.loads(r.read())['claims']}")
        except (urllib.error.URLError, ValueError, KeyError) as exc:
            problems.append(f"  tables now: {actor} {label} unreadable ({exc})")
    return problems


def claims_from(worker: Worker, ids: set[str], timeout_s: float = 90) -> list[dict[str, Any]]:
    return consume(worker.broker, worker.topic("claims"), timeout_s=timeout_s,
                   until=lambda rs: ids <= {c["article_id"] for c in rs})


def test_aggregates_equal_recomputation_after_a_run_and_after_the_same_articles_again(worker: Worker) -> None:
    raw = worker.topic("articles.raw")
    first = articles("a", [0.5, 2, 200, 5, 30])  # 200 h: older than every window, it counts nowhere
    produce(worker.broker, raw, first)
    claims_from(worker, {f"a-{n}" for n in range(len(first))})
    problems = settle(worker)
    assert problems == [], "\n".join(problems)

    produce(worker.broker, raw, first)  # the same articles again: nothing may count twice
    time.sleep(8)
    problems = settle(worker)
    assert problems == [], "\n".join(problems)

    # The web API answers from the same tables.
    records = latest_records(worker)
    actor = next(a for (a, label) in records if label == "24h")
    with urllib.request.urlopen(f"http://127.0.0.1:{worker.web_port}/actors/{actor}?window=24h", timeout=10) as r:
        assert orjson.loads(r.read())["actor_id"] == actor
    with urllib.request.urlopen(f"http://127.0.0.1:{worker.web_port}/actors?window=7d&top=3", timeout=10) as r:
        top = orjson.loads(r.read())
        assert 1 <= len(top) <= 3 and top[0]["claims"] >= top[-1]["claims"]
    for bad, status in ((f"/actors/{actor}?window=2h", 400), ("/actors/NOBODY?window=24h", 404),
                        ("/actors?top=x", 400)):
        with pytest.raises(urllib.error.HTTPError) as error:
            urllib.request.urlopen(f"http://127.0.0.1:{worker.web_port}{bad}", timeout=10)
        assert error.value.code == status

    # A malformed actor-claim event is a dead letter of the aggregates stage, and counts for nobody.
    bad_event = orjson.dumps({"actor_id": actor, "claim_id": "x"})
    produce(worker.broker, worker.topic("actor-claims"), [bad_event], keys=[actor.encode()])
    letters = consume(worker.broker, worker.topic("deadletter"), timeout_s=60, decode=lambda m: m,
                      until=lambda rs: any(m.value == bad_event for m in rs))
    letter = next(m for m in letters if m.value == bad_event)
    headers = dict(letter.headers)
    assert headers["x-dlq-stage"] == b"aggregates" and headers["x-dlq-reason"] == b"schema_violation"
    assert settle(worker) == []


def test_aggregates_equal_recomputation_after_kill_9_mid_stream(worker: Worker) -> None:
    raw = worker.topic("articles.raw")
    first = articles("a", [0.5, 2, 5, 30])
    produce(worker.broker, raw, first)
    claims_from(worker, {f"a-{n}" for n in range(len(first))})
    more = articles("b", [1, 3, 6, 12, 20, 26, 40, 70])
    produce(worker.broker, raw, more)
    time.sleep(2)
    assert worker.proc is not None
    worker.proc.send_signal(signal.SIGKILL)  # mid-stream
    worker.proc.wait()
    worker.start().wait_ready()
    claims_from(worker, {f"b-{n}" for n in range(len(more))}, timeout_s=120)
    problems = settle(worker, 120)
    assert problems == [], "\n".join(problems)


def test_independent_sources_corroborate_or_conflict_and_copies_never_link(worker: Worker) -> None:
    raw = worker.topic("articles.raw")
    recent = (datetime.now(UTC) - timedelta(hours=1)).isoformat()

    def event(article_id: str, outlet: str, text: str) -> bytes:
        return orjson.dumps({"id": article_id, "outlet": outlet, "published_at": recent, "title": "Corea del Nord",
                             "text": text})

    seoul = event("jcs", "agenzia-uno.example", "Secondo lo Stato maggiore congiunto sudcoreano, la Corea del Nord "
                  "ha inviato circa 11.000 soldati in Russia per sostenere le operazioni di Mosca.")
    kyiv = event("hur", "kyiv-wire.example", "North Korea has deployed about 12,000 troops to Russia to back Moscow's "
                 "offensive, Ukrainian military intelligence said on Friday.")
    pentagon = event("pentagon", "capital-news.example", "The Pentagon said North Korea had deployed about 11,000 "
                     "soldiers to Russia, where they are fighting alongside Russian units near the border.")
    copy = event("pentagon-copy", "syndicate.example", "The Pentagon said North Korea had deployed about 11,000 "
                 "soldiers to Russia, where they are fighting alongside Russian units near the border.")
    for batch in ([seoul], [kyiv], [pentagon], [copy]):
        produce(worker.broker, raw, batch)
        claims_from(worker, {orjson.loads(batch[0])["id"]})

    def about(links: list[dict[str, Any]], a: str, b: str) -> list[dict[str, Any]]:
        return [x for x in links if x["actor_id"] == "PRK" and sorted(x["article_ids"]) == sorted([a, b])]

    links = consume(worker.broker, worker.topic("claim-links"), timeout_s=60,
                    until=lambda rs: bool(about(rs, "jcs", "hur") and about(rs, "jcs", "pentagon")
                                          and about(rs, "hur", "pentagon")))
    assert {x["relation"] for x in about(links, "jcs", "hur")} == {"conflicts"}
    assert {x["relation"] for x in about(links, "jcs", "pentagon")} == {"corroborates"}
    assert {x["relation"] for x in about(links, "hur", "pentagon")} == {"conflicts"}
    assert sorted(about(links, "jcs", "hur")[0]["values"]) == [11000, 12000]
    assert not [x for x in links if "pentagon-copy" in x["article_ids"]]


def test_aggregates_equal_recomputation_after_a_graceful_restart_mid_stream(worker: Worker) -> None:
    raw = worker.topic("articles.raw")
    first = articles("g", [0.5, 2, 5, 30])
    produce(worker.broker, raw, first)
    claims_from(worker, {f"g-{n}" for n in range(len(first))})
    more = articles("h", [1, 3, 6, 12])
    produce(worker.broker, raw, more)
    time.sleep(2)
    assert worker.stop() == 0  # SIGTERM: Faust commits what it processed and stops
    worker.start().wait_ready()
    claims_from(worker, {f"h-{n}" for n in range(len(more))}, timeout_s=120)
    problems = settle(worker, 120)
    assert problems == [], "\n".join(problems)


class AsFaust(RangePartitionAssignor):
    """The group remembers its protocol ("faust"): a member that names another one is refused."""

    name = "faust"


def rewind_group(worker: Worker, topics: list[str], timeout_s: float = 60) -> None:
    """Commit offset 0 on every partition of `topics` for the worker's consumer group, as its only member (the
    worker is stopped; Tansu takes commits from members only)."""
    consumer = KafkaConsumer(bootstrap_servers=worker.broker.bootstrap, group_id=worker.env["CLAIMSTREAM_APP_ID"],
                             enable_auto_commit=False, auto_offset_reset="earliest",
                             partition_assignment_strategy=[AsFaust])
    try:
        tps = {TopicPartition(topic, p) for topic in topics for p in consumer.partitions_for_topic(topic) or ()}
        consumer.subscribe(topics)
        deadline = time.monotonic() + timeout_s
        while consumer.assignment() != tps and time.monotonic() < deadline:
            consumer.poll(timeout_ms=500, max_records=1)
        assert consumer.assignment() == tps, f"not assigned {sorted(tps - consumer.assignment())}"
        consumer.commit({tp: OffsetAndMetadata(0, "", -1) for tp in tps})
    finally:
        consumer.close()


def test_aggregates_equal_recomputation_after_a_replay_from_offset_zero(worker: Worker) -> None:
    raw = worker.topic("articles.raw")
    first = articles("r", [0.5, 2, 5, 30, 50])
    produce(worker.broker, raw, first)
    claims = claims_from(worker, {f"r-{n}" for n in range(len(first))})
    assert settle(worker) == []
    actor_claims = consume(worker.broker, worker.topic("actor-claims"), until=lambda rs: False, timeout_s=3)

    assert worker.stop() == 0
    inputs = ["articles.raw", "articles.prepared", "articles.clean", "articles.extracted", "articles.enriched",
              "actor-claims"]
    rewind_group(worker, [worker.topic(name) for name in inputs])
    worker.start().wait_ready()
    # Every stage runs again from the first offset: claims are sent again (same ids), and so are actor-claim
    # events, whose claim ids the panes have counted already.
    consume(worker.broker, worker.topic("actor-claims"), timeout_s=120,
            until=lambda rs: len(rs) >= 2 * len(actor_claims))
    again = consume(worker.broker, worker.topic("claims"), until=lambda rs: False, timeout_s=3)
    assert len(again) >= 2 * len(claims)
    assert {c["claim_id"] for c in again} == {c["claim_id"] for c in claims}
    time.sleep(8)  # past the publish interval, so the records reflect the replay
    problems = settle(worker)
    assert problems == [], "\n".join(problems)
