"""Schemas are the contract: every record's serialised form validates against its topic's schema, and
each record declares exactly the schema's properties."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import orjson
import pytest

from streams import codecs, records
from streams.deadletter import Origin, dead_letter_headers, describe
from streams.nlp.pipeline import default_registry, pipeline_for
from streams.records import RECORD_FOR_TOPIC, ClaimLink, Record
from streams.sources import read
from streams.stages.aggregates import (
    WINDOWS,
    actor_claim,
    actor_events,
    apply_to_pane,
    links_for,
    merge,
    record,
)
from streams.stages.claims import claims
from streams.stages.clean import clean
from streams.stages.enrich import enrich
from streams.stages.extract import extract_batch
from streams.stages.rejected import Rejected

SAMPLES = Path(__file__).resolve().parents[2] / "streams" / "samples"


@pytest.fixture(scope="module")
def produced() -> dict[type[Record], list[Record]]:
    """Records of every kind, made by the real stage functions from the bundled samples."""
    out: dict[type[Record], list[Record]] = {cls: [] for cls in RECORD_FOR_TOPIC.values()}
    cleaned = []
    for path in sorted(SAMPLES.iterdir()):
        for item in read(str(path)):
            assert item.article is not None
            raw = codecs.decode_raw_article(orjson.dumps(item.article), 2_000_000)
            assert not isinstance(raw, Rejected)
            out[records.RawArticle].append(raw)
            c = clean(raw, datetime.now(UTC))
            assert not isinstance(c, Rejected)
            cleaned.append(c)
    out[records.CleanArticle] = list(cleaned)
    extracted = extract_batch(cleaned, pipeline_for)
    out[records.ExtractedArticle] = list(extracted)
    enriched = [enrich(e, default_registry()) for e in extracted]
    out[records.EnrichedArticle] = list(enriched)
    all_claims = [c for e in enriched for c in claims(e)]
    out[records.Claim] = list(all_claims)
    panes = [apply_to_pane({}, actor_claim("PRK", c, 1_790_000_000.0)) for c in all_claims[:8]]
    window = merge(p for p in panes if p is not None)
    out[records.ActorAggregate] = [record("PRK", spec, 1_790_000_000.0, window, datetime.now(UTC)) for spec in WINDOWS]
    by_article: dict[str, list[records.Claim]] = {}
    for c in all_claims:
        by_article.setdefault(c.article_id, []).append(c)
    out[records.ActorClaims] = [records.ActorClaims.from_data(e)
                                for found in by_article.values() for e in actor_events(found, 1_790_000_000.0)]
    events = [actor_claim("PRK", c, 1_790_000_000.0) for c in all_claims if c.quantity]
    out[records.ClaimLink] = [link for i, e in enumerate(events) for link in links_for("PRK", e["type"], e, events[:i])]
    out[records.ClaimLink].append(ClaimLink(link_id="l1", relation="conflicts", actor_id="PRK", type="deployment",
                                            claim_ids=["a", "b"], article_ids=["x", "y"], sources=["KOR", None],
                                            values=[11000.0, None]))
    headers = dead_letter_headers(Rejected("invalid_json", "bad"), "clean", Origin("articles.raw", 1, 7))
    out[records.DeadLetter] = [describe(b"\xff\x00", headers), describe(b"{}", headers)]
    return out


@pytest.mark.parametrize("topic", sorted(RECORD_FOR_TOPIC))
def test_every_record_validates_against_its_topic_schema(topic: str, produced: dict[type[Record], list[Record]]
                                                         ) -> None:
    cls = RECORD_FOR_TOPIC[topic]
    made = produced[cls]
    assert made, f"no {cls.__name__} was produced"
    for made_record in made:
        wire = orjson.loads(codecs.encode(made_record))
        assert codecs.schema_errors(cls.schema, wire) == [], wire


@pytest.mark.parametrize("cls", sorted(set(RECORD_FOR_TOPIC.values()), key=lambda c: c.__name__))
def test_record_fields_mirror_schema_properties(cls: type[Record]) -> None:
    schema = codecs.load_schema(cls.schema)
    assert set(cls._options.fields) == set(schema["properties"])  # type: ignore[attr-defined]


def test_every_schema_is_valid_2020_12() -> None:
    from jsonschema import Draft202012Validator

    for name in codecs.SCHEMA_FILES:
        schema = codecs.load_schema(name)
        assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
        Draft202012Validator.check_schema(schema)
