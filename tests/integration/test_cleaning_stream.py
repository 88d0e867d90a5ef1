"""Cleaning on the stream: learned furniture per outlet, syndicated copies, idempotent re-sends, unsupported
languages — through a real broker and a real worker."""

from __future__ import annotations

import urllib.request
from pathlib import Path
from typing import Any

import orjson
import pytest

from tests.integration.conftest import Worker, consume, produce

pytestmark = pytest.mark.integration

CORPUS = Path(__file__).resolve().parents[1] / "data" / "clean"
FOOTER = "Gazzetta del Porto, quotidiano indipendente dal 1921 - Registrazione Tribunale di Livorno n. 12"
GERMAN = ("Die Bundesregierung hat am Montag ein neues Hilfspaket für die Ukraine beschlossen. Nach Angaben des "
          "Verteidigungsministeriums umfasst es Luftabwehrsysteme und Munition im Wert von mehreren hundert "
          "Millionen Euro. Die Opposition kritisierte, dass die Lieferungen erst im nächsten Jahr beginnen sollen.")


def story(name: str) -> tuple[str, str]:
    """(title, body) of a corpus page, from its expected clean text."""
    title, _, body = (CORPUS / "expected" / f"{name}.txt").read_text(encoding="utf-8").partition("\n\n")
    return title.strip(), body.strip()


def event(article_id: str, outlet: str, title: str, text: str, **extra: Any) -> bytes:
    return orjson.dumps({"id": article_id, "outlet": outlet, "title": title, "text": text, **extra})


def cleaned_until(worker: Worker, ids: set[str]) -> dict[str, dict[str, Any]]:
    records = consume(worker.broker, worker.topic("articles.clean"),
                      until=lambda rs: ids <= {r["id"] for r in rs})
    latest = {r["id"]: r for r in records}
    assert ids <= set(latest), f"not cleaned: {ids - set(latest)}\n{worker.log()[-3000:]}"
    return latest


def test_outlet_furniture_is_learned_after_k_articles_and_still_known_after_a_restart(worker: Worker) -> None:
    """The worker keeps what each original taught in its `clean-seen` entry; after a restart the outlets' line
    sightings are rebuilt from those entries, so the fourth article loses the footer the first three taught."""
    raw = worker.topic("articles.raw")
    pages = ["it-tregua-sudan.txt", "it-gas-stoccaggi.txt", "it-incendi-grecia.txt", "it-elezioni-moldova.html"]
    teachers = []
    for n, page in enumerate(pages[:3], start=1):
        title, body = story(page)
        teachers.append(event(f"gdp-{n}", "gazzetta-del-porto.example", title, f"{body}\n\n{FOOTER}\n"))
    produce(worker.broker, raw, teachers)
    first = cleaned_until(worker, {"gdp-1", "gdp-2", "gdp-3"})
    assert all(FOOTER in first[f"gdp-{n}"]["body"] for n in (1, 2, 3))  # not learned yet
    assert worker.stop() == 0
    worker.start().wait_ready(120)

    title, body = story(pages[3])
    produce(worker.broker, raw, [event("gdp-4", "gazzetta-del-porto.example", title, f"{body}\n\n{FOOTER}\n")])
    later = cleaned_until(worker, {"gdp-4"})
    produce(worker.broker, raw, [event("other-4", "altro-giornale.example", title, f"{body}\n\n{FOOTER}\n")])
    later.update(cleaned_until(worker, {"other-4"}))
    assert FOOTER not in later["gdp-4"]["body"]
    assert later["gdp-4"]["boilerplate_learned"] == 1
    assert body.split("\n\n")[0] in later["gdp-4"]["body"]
    assert FOOTER in later["other-4"]["body"]  # another outlet has not taught it
    assert later["other-4"]["duplicate_of"] == "gdp-4"  # the same story from another outlet is a copy


def test_syndicated_copies_unsupported_languages_and_resends(worker: Worker) -> None:
    raw = worker.topic("articles.raw")
    original_title, original = story("en-caucasus-peace.txt")
    copy_title, copy = story("en-caucasus-peace-syndicated.html")
    strike_title, strike = story("en-odesa-port-strike.html")
    attack_title, attack = story("en-odesa-port-attack.txt")
    produce(worker.broker, raw, [event("wire-1", "wire.example", original_title, original),
                                 event("strike-1", "harbour-news.example", strike_title, strike)])
    cleaned_until(worker, {"wire-1", "strike-1"})
    produce(worker.broker, raw, [event("copy-1", "daily.example", copy_title, copy),
                                 event("attack-1", "coast-times.example", attack_title, attack),
                                 event("de-1", "zeitung.example", "Neues Hilfspaket", GERMAN, lang="it")])
    result = cleaned_until(worker, {"copy-1", "attack-1", "de-1"})
    assert result["copy-1"]["duplicate_of"] == "wire-1"
    assert result["attack-1"]["duplicate_of"] is None  # the same event, told independently
    assert result["de-1"]["lang"] == "de" and result["de-1"]["lang_supported"] is False  # the hint was wrong

    # The same article id again: the same cleaned article, flagged the same way.
    produce(worker.broker, raw, [event("copy-1", "daily.example", copy_title, copy)])
    again = consume(worker.broker, worker.topic("articles.clean"),
                    until=lambda rs: sum(1 for r in rs if r["id"] == "copy-1") >= 2)
    copies = [r for r in again if r["id"] == "copy-1"]
    assert len(copies) == 2
    assert copies[0]["body"] == copies[1]["body"] and copies[1]["duplicate_of"] == "wire-1"

    # The unsupported article produces no claims; the copy's claims say whose copy they are.
    claims = consume(worker.broker, worker.topic("claims"),
                     until=lambda rs: {"wire-1", "copy-1"} <= {c["article_id"] for c in rs})
    assert not [c for c in claims if c["article_id"] == "de-1"]
    assert {c["duplicate_of"] for c in claims if c["article_id"] == "copy-1"} == {"wire-1"}
    assert {c["duplicate_of"] for c in claims if c["article_id"] == "wire-1"} == {None}

    with urllib.request.urlopen(f"http://127.0.0.1:{worker.web_port}/metrics", timeout=10) as response:
        text = response.read().decode()
    assert 'claimstream_unsupported_language_articles_total{lang="de"} 1.0' in text
    assert 'claimstream_duplicates_total{lang="en"}' in text
    assert 'claimstream_articles_by_language_total{lang="en"}' in text
