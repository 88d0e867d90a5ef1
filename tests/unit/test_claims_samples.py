"""The real spaCy pipelines on articles written for this project: the claims a reader must find."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest

from streams import codecs
from streams.offline import process
from streams.sources import read
from streams.stages.clean import clean

SAMPLES = Path(__file__).resolve().parents[2] / "streams" / "samples"


def claims_for(name: str) -> list[dict[str, Any]]:
    loaded = [(item.origin, item.article) for item in read(str(SAMPLES / name)) if item.article]
    outcomes = list(process(loaded, 2_000_000))
    assert len(outcomes) == 1 and outcomes[0].rejected is None
    return [c.to_representation() for c in outcomes[0].claims]


@pytest.fixture(scope="module")
def corea() -> list[dict[str, Any]]:
    return claims_for("it-corea-truppe.txt")


def find(claims: list[dict[str, Any]], value: float) -> dict[str, Any]:
    hits = [c for c in claims if c["quantity"] and c["quantity"]["value"] == value]
    assert len(hits) == 1, [(c["type"], c["quantity"], c["text"][:50]) for c in claims]
    return hits[0]


def test_hedged_deployment_with_at_least_quantity(corea: list[dict[str, Any]]) -> None:
    claim = find(corea, 3000)
    assert claim["quantity"] == {"value": 3000, "unit": "soldiers", "qualifier": "at_least"}
    assert claim["type"] == "deployment"
    assert claim["certainty"] == "hedged"
    roles = {a["id"]: a["role"] for a in claim["actors"]}
    assert roles["PRK"] == "agent"
    assert roles["RUS"] == "location"


def test_attributed_to_the_joint_chiefs_resolves_to_south_korea(corea: list[dict[str, Any]]) -> None:
    claim = find(corea, 11000)
    assert claim["quantity"]["qualifier"] == "approx"
    assert claim["certainty"] == "attributed"
    assert claim["source"]["country"] == "KOR"
    assert claim["source"]["verb"].lower() == "secondo"


def test_casualties_hedged_and_attributed_to_seoul(corea: list[dict[str, Any]]) -> None:
    claim = find(corea, 4000)
    assert claim["type"] == "casualties"
    assert claim["quantity"]["qualifier"] == "approx"
    assert claim["certainty"] == "hedged"
    assert claim["source"]["id"] == "KOR"


def test_no_claim_from_a_percentage_or_a_date(corea: list[dict[str, Any]]) -> None:
    values = {c["quantity"]["value"] for c in corea if c["quantity"]}
    assert 40 not in values and 12 not in values and 2023 not in values


def test_spans_point_at_text_and_ids_are_stable(corea: list[dict[str, Any]]) -> None:
    item = next(read(str(SAMPLES / "it-corea-truppe.txt")))
    raw = codecs.decode_raw_article(orjson.dumps(item.article), 2_000_000)
    body = clean(raw, datetime.now(UTC)).body  # type: ignore[arg-type, union-attr]
    for claim in corea:
        start, end = claim["span"]
        assert body[start:end] == claim["text"]
    again = claims_for("it-corea-truppe.txt")
    assert [c["claim_id"] for c in again] == [c["claim_id"] for c in corea]
    assert len({c["claim_id"] for c in corea}) == len(corea)


def test_english_attribution_and_quantities() -> None:
    claims = claims_for("en-black-sea.txt")
    assert {c["lang"] for c in claims} == {"en"}
    drones = [c for c in claims if c["quantity"] and c["quantity"]["unit"] == "drones"]
    assert any(c["quantity"]["qualifier"] == "more_than" and c["quantity"]["value"] == 120 for c in drones)
    troops = [c for c in claims if c["quantity"] and c["quantity"]["value"] == 12000]
    assert troops and troops[0]["quantity"]["qualifier"] == "approx"
    assert troops[0]["source"] is not None and troops[0]["source"]["country"] == "UKR"


def test_html_page_gives_sanctions_claims() -> None:
    claims = claims_for("en-sanctions.html")
    banks = [c for c in claims if c["quantity"] and c["quantity"]["unit"] == "banks"]
    assert banks and banks[0]["quantity"] == {"value": 20, "unit": "banks", "qualifier": "at_least"}
    assert banks[0]["type"] == "sanctions"
    assert not any("Advertisement" in c["text"] or "Read more" in c["text"] for c in claims)
