"""Measure claim extraction against a gold set (tests/data/gold): recall, precision, and the accuracy of each
field of the claims that were found. The same stage functions as the stream, through `offline.process`."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from streams.offline import process
from streams.stages.clean import QUOTE_MAP

FIELDS = ("type", "quantity_value", "qualifier", "actors", "source", "certainty")


@dataclass
class GoldArticle:
    name: str
    lang: str
    raw: dict[str, Any]
    claims: list[dict[str, Any]]
    no_claim: list[str]


@dataclass
class Mistake:
    article: str
    kind: str  # missed | spurious | <field>
    sentence: str
    expected: Any = None
    got: Any = None


@dataclass
class Tally:
    gold: int = 0
    predicted: int = 0
    matched: int = 0
    correct: dict[str, int] = field(default_factory=lambda: dict.fromkeys(FIELDS, 0))

    def add(self, other: Tally) -> None:
        self.gold += other.gold
        self.predicted += other.predicted
        self.matched += other.matched
        for name in FIELDS:
            self.correct[name] += other.correct[name]

    def figures(self) -> dict[str, float | int]:
        out: dict[str, float | int] = {
            "gold": self.gold, "predicted": self.predicted, "matched": self.matched,
            "recall": _ratio(self.matched, self.gold), "precision": _ratio(self.matched, self.predicted),
        }
        for name in FIELDS:
            out[name] = _ratio(self.correct[name], self.matched)
        return out


def _ratio(a: int, b: int) -> float:
    return round(a / b, 4) if b else 0.0


def fold(text: str) -> str:
    return " ".join(text.translate(QUOTE_MAP).split())


def load_gold(folder: Path) -> list[GoldArticle]:
    out = []
    for path in sorted(folder.glob("*.gold.json")):
        gold = orjson.loads(path.read_bytes())
        raw = orjson.loads((folder / "articles" / gold["article"]).read_bytes())
        out.append(GoldArticle(name=gold["article"], lang=raw.get("lang") or path.name[:2], raw=raw,
                               claims=gold["claims"], no_claim=gold.get("no_claim", [])))
    return out


def _source_ok(gold: str | None, got: dict[str, Any] | None) -> bool:
    if gold is None or got is None:
        return gold is None and got is None
    if gold == "unnamed":
        return got.get("kind") == "unnamed"
    return got.get("id") == gold or (len(gold) == 3 and gold.isupper() and got.get("country") == gold)


def _quantity(claim: dict[str, Any]) -> dict[str, Any] | None:
    q = claim.get("quantity")
    return q if isinstance(q, dict) else None


def compare(gold: dict[str, Any], got: dict[str, Any]) -> dict[str, tuple[bool, Any, Any]]:
    """Field by field: (correct, expected, got)."""
    gq, pq = _quantity(gold), _quantity(got)
    g_actors = sorted(gold.get("actors", []))
    p_actors = sorted(a["id"] for a in got.get("actors", []))
    source = got.get("source")
    return {
        "type": (gold["type"] == got["type"], gold["type"], got["type"]),
        "quantity_value": ((gq is None and pq is None) or (gq is not None and pq is not None
                                                           and abs(float(gq["value"]) - float(pq["value"])) < 1e-6),
                           gq and gq["value"], pq and pq["value"]),
        "qualifier": ((gq or {}).get("qualifier") == (pq or {}).get("qualifier"),
                      (gq or {}).get("qualifier"), (pq or {}).get("qualifier")),
        "actors": (g_actors == p_actors, g_actors, p_actors),
        "source": (_source_ok(gold.get("source"), source), gold.get("source"),
                   source and (source.get("id") or source.get("name"))),
        "certainty": (gold["certainty"] == got["certainty"], gold["certainty"], got["certainty"]),
    }


def score_article(article: GoldArticle, predicted: list[dict[str, Any]]) -> tuple[Tally, list[Mistake]]:
    """Each gold claim takes the best unused predicted claim of its sentence (same type and value first)."""
    tally = Tally(gold=len(article.claims), predicted=len(predicted))
    mistakes: list[Mistake] = []
    used: set[int] = set()
    for gold in article.claims:
        sentence = fold(gold["sentence"])
        candidates = [i for i, p in enumerate(predicted) if i not in used and sentence in p["text"]]
        if not candidates:
            mistakes.append(Mistake(article.name, "missed", sentence, gold["type"]))
            continue

        def rank(i: int, gold: dict[str, Any] = gold) -> tuple[int, int]:
            fields = compare(gold, predicted[i])
            return (-(2 * fields["type"][0] + 2 * fields["quantity_value"][0]), i)

        best = min(candidates, key=rank)
        used.add(best)
        tally.matched += 1
        for name, (ok, expected, got) in compare(gold, predicted[best]).items():
            if ok:
                tally.correct[name] += 1
            else:
                mistakes.append(Mistake(article.name, name, sentence, expected, got))
    for i, p in enumerate(predicted):
        if i not in used:
            mistakes.append(Mistake(article.name, "spurious", p["text"][:120], None, p["type"]))
    return tally, mistakes


def evaluate(articles: Iterable[GoldArticle], max_bytes: int = 2_000_000
             ) -> tuple[dict[str, dict[str, float | int]], list[Mistake]]:
    """Figures per language and overall, and every mistake."""
    articles = list(articles)
    outcomes = {o.origin: o for o in process(((a.name, a.raw) for a in articles), max_bytes)}
    per_lang: dict[str, Tally] = defaultdict(Tally)
    mistakes: list[Mistake] = []
    for article in articles:
        outcome = outcomes[article.name]
        predicted = [dict(c.to_representation()) for c in outcome.claims]
        tally, wrong = score_article(article, predicted)
        per_lang[article.lang].add(tally)
        mistakes += wrong
    overall = Tally()
    for tally in per_lang.values():
        overall.add(tally)
    figures = {lang: t.figures() for lang, t in sorted(per_lang.items())}
    figures["overall"] = overall.figures()
    return figures, mistakes


def below_floors(figures: dict[str, dict[str, float | int]], floors: dict[str, dict[str, float]]) -> list[str]:
    """Every figure under its floor, as 'lang.metric: got < floor'."""
    return [f"{lang}.{metric}: {figures.get(lang, {}).get(metric, 0.0)} < {floor}"
            for lang, metrics in floors.items() for metric, floor in metrics.items()
            if float(figures.get(lang, {}).get(metric, 0.0)) < floor]
