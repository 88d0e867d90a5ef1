"""Extraction measured against the gold set: CI fails when a figure drops under its floor
(tests/data/gold/floors.json; raise the floors as extraction improves)."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from streams.evaluation import FIELDS, below_floors, evaluate, load_gold

GOLD = Path(__file__).resolve().parents[1] / "data" / "gold"


@pytest.fixture(scope="module")
def figures() -> dict[str, dict[str, float | int]]:
    return evaluate(load_gold(GOLD))[0]


def test_the_gold_set_is_as_large_as_promised() -> None:
    gold = load_gold(GOLD)
    by_lang = {lang: [g for g in gold if g.lang == lang] for lang in ("it", "en")}
    assert len(gold) >= 30 and all(len(articles) >= 12 for articles in by_lang.values())
    claims = [c for g in gold for c in g.claims]
    assert len(claims) >= 120
    assert {c["type"] for c in claims} >= {"deployment", "casualties", "attack", "arms_transfer", "visit", "meeting",
                                           "agreement", "sanctions", "aid", "denial", "statement"}
    qualifiers = {c["quantity"]["qualifier"] for c in claims if c.get("quantity")}
    assert qualifiers == {"exact", "approx", "at_least", "more_than", "at_most", "less_than"}
    assert {c["certainty"] for c in claims} == {"asserted", "attributed", "hedged"}
    assert sum(len(g.no_claim) for g in gold) >= 20


def test_no_figure_is_under_its_floor(figures: dict[str, dict[str, float | int]]) -> None:
    floors = orjson.loads((GOLD / "floors.json").read_bytes())
    assert set(floors) == {"it", "en", "overall"}
    assert all(set(f) == {"recall", "precision", *FIELDS} for f in floors.values())
    assert below_floors(figures, floors) == []


def test_eval_command_prints_json_and_enforces_floors(tmp_path: Path) -> None:
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-m", "streams", "eval", str(GOLD), "--json",
                           "--floors", str(GOLD / "floors.json")], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    figures = orjson.loads(done.stdout)
    assert set(figures) == {"it", "en", "overall"} and {"recall", "precision", *FIELDS} <= set(figures["it"])
    impossible = tmp_path / "floors.json"
    impossible.write_bytes(orjson.dumps({"it": {"recall": 1.01}}))
    failed = subprocess.run([sys.executable, "-m", "streams", "eval", str(GOLD), "--floors", str(impossible)],
                            capture_output=True, text=True, timeout=300)
    assert failed.returncode == 1 and "below floor" in failed.stderr and "it.recall" in failed.stderr
