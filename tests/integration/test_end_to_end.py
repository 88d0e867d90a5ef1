"""Raw articles in, claim events, aggregates and dead letters out: a real broker and a real worker."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import orjson
import pytest

from streams import codecs
from tests.integration.conftest import ROOT, SAMPLES, Worker, consume, produce

pytestmark = pytest.mark.integration

ARTICLES = ["it-corea-truppe.txt", "en-black-sea.txt", "en-sanctions.html"]
MALFORMED = [b'{"id": "broken-1", "text": "unterminated', b'{"id": "empty-1", "title": "nothing here"}']


def cli(worker: Worker, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "streams", *args], env=worker.env, capture_output=True,
                          text=True, timeout=timeout, cwd=worker.workdir)


def claims_of(records: list[dict[str, Any]], article_id: str) -> list[dict[str, Any]]:
    return [c for c in records if c["article_id"] == article_id]


def test_articles_become_claims_aggregates_and_dead_letters(worker: Worker) -> None:
    done = cli(worker, "produce", *(str(SAMPLES / a) for a in ARTICLES))
    assert done.returncode == 0, done.stderr
    produce(worker.broker, worker.topic("articles.raw"), MALFORMED)

    claims = consume(worker.broker, worker.topic("claims"),
                     until=lambda rs: all(claims_of(rs, a) for a in ARTICLES))
    for article in ARTICLES:
        assert claims_of(claims, article), f"no claims from {article}:\n{worker.log()[-3000:]}"
    for claim in claims:
        assert codecs.schema_errors("claim.schema.json", claim) == []

    # The contract's fields carry sensible values: "Sembra che … abbia inviato almeno 3.000 soldati in Russia".
    italian = claims_of(claims, "it-corea-truppe.txt")
    troops = [c for c in italian if c["quantity"] == {"value": 3000, "unit": "soldiers", "qualifier": "at_least"}]
    assert len(troops) == 1, italian
    assert troops[0]["type"] == "deployment"
    assert troops[0]["certainty"] == "hedged"
    assert troops[0]["lang"] == "it"
    roles = {a["id"]: a["role"] for a in troops[0]["actors"]}
    assert roles.get("PRK") == "agent" and roles.get("RUS") == "location"
    seoul = [c for c in italian if c["source"] and c["source"]["country"] == "KOR"]
    assert seoul, "claims attributed 'secondo Seul' / 'secondo lo Stato maggiore …' carry a KOR source"

    # Spans point exactly at the text in the cleaned body.
    bodies = {a["id"]: a["body"] for a in consume(worker.broker, worker.topic("articles.clean"),
                                                   until=lambda rs: len(rs) >= len(ARTICLES))}
    for claim in claims:
        start, end = claim["span"]
        assert bodies[claim["article_id"]][start:end] == claim["text"]

    english = claims_of(claims, "en-black-sea.txt")
    assert {c["lang"] for c in english} == {"en"}
    assert any(c["source"] is not None for c in english)

    aggregates = consume(worker.broker, worker.topic("actor-aggregates"),
                         until=lambda rs: any(r["actor_id"] == "PRK" for r in rs))
    prk = [r for r in aggregates if r["actor_id"] == "PRK"]
    assert prk and prk[-1]["claims"] >= 1
    assert prk[-1]["by_type"].get("deployment", 0) >= 1
    for record in aggregates:
        assert codecs.schema_errors("actor-aggregate.schema.json", record) == []

    def dead(message: Any) -> dict[str, Any]:
        return {"value": message.value, "headers": dict(message.headers)}

    letters = consume(worker.broker, worker.topic("deadletter"), until=lambda rs: len(rs) >= 2, decode=dead)
    assert sorted(d["value"] for d in letters) == sorted(MALFORMED)
    reasons = {d["value"]: d["headers"]["x-dlq-reason"].decode() for d in letters}
    assert reasons[MALFORMED[0]].startswith("invalid_json")
    assert reasons[MALFORMED[1]].startswith("no_content")
    for d in letters:
        assert d["headers"]["x-dlq-stage"] == b"clean"
        assert d["headers"]["x-dlq-origin-topic"] == worker.topic("articles.raw").encode()
        assert int(d["headers"]["x-dlq-origin-offset"]) >= 0

    # The worker is still processing after the bad input.
    assert worker.proc is not None and worker.proc.poll() is None
    done = cli(worker, "produce", str(SAMPLES / "en-summit.json"))
    assert done.returncode == 0, done.stderr
    later = consume(worker.broker, worker.topic("claims"), until=lambda rs: bool(claims_of(rs, "en-summit-0001")))
    assert claims_of(later, "en-summit-0001")

    # `claimstream extract` on the same files prints the same claims (same ids) as the stream produced.
    offline = cli(worker, "extract", *(str(SAMPLES / a) for a in ARTICLES))
    assert offline.returncode == 0, offline.stderr
    offline_claims = [orjson.loads(line) for line in offline.stdout.splitlines()]
    streamed = {c["claim_id"]: c for c in claims if c["article_id"] in ARTICLES}
    assert {c["claim_id"] for c in offline_claims} == set(streamed)
    for claim in offline_claims:
        mine = streamed[claim["claim_id"]]
        assert {k: v for k, v in claim.items()} == mine

    # `claimstream tail` filters by actor and type, printing JSON lines.
    tailed = cli(worker, "tail", "claims", "--from-beginning", "--actor", "PRK", "--type", "deployment",
                 "--timeout", "5")
    assert tailed.returncode == 0, tailed.stderr
    rows = [orjson.loads(line) for line in tailed.stdout.splitlines()]
    assert rows and all(r["type"] == "deployment" for r in rows)
    missing = cli(worker, "tail", "no-such-topic", "--timeout", "2")
    assert missing.returncode == 2 and "does not exist" in missing.stderr
    dl = cli(worker, "tail", "deadletter", "--from-beginning", "--limit", "2", "--timeout", "5")
    assert {orjson.loads(line)["reason"].split(":")[0] for line in dl.stdout.splitlines()} == {
        "invalid_json", "no_content"}

    # The README's downstream example, with plain kafka-python.
    example = subprocess.run([sys.executable, str(ROOT / "examples" / "subscribe_claims.py"),
                              worker.broker.bootstrap, "3", worker.topic("claims")],
                             capture_output=True, text=True, timeout=120)
    assert example.returncode == 0, example.stderr
    assert len(example.stdout.splitlines()) == 3


def test_readme_shows_the_example_verbatim() -> None:
    readme = (ROOT / "README.md").read_text()
    example = (ROOT / "examples" / "subscribe_claims.py").read_text()
    code = example.split('"""', 2)[2].strip()
    assert code in readme
