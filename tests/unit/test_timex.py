"""Time words resolved against the article's publication date."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from streams import lang as lang_data
from streams.nlp.pipeline import pipeline_for
from streams.records import Cue
from streams.stages import timex

PUBLISHED = date(2026, 11, 18)  # a Wednesday


def cues_of(lang: str, text: str) -> list[Cue]:
    doc = pipeline_for(lang)(text)
    out = []
    for span in doc.spans["cues"]:
        kind, _, label = span.label_.partition(":")
        out.append(Cue(kind=kind, label=label, start=span.start_char, end=span.end_char, text=span.text))
    return out


def resolve(lang: str, text: str, published: date | None = PUBLISHED) -> dict[str, Any] | None:
    joiners = set(lang_data.load(lang)["time"]["month_joiners"])
    return timex.resolve(text, cues_of(lang, text), published, joiners)


@pytest.mark.parametrize(("lang", "text", "start", "end", "said"), [
    ("it", "Lunedì la Russia ha lanciato 60 droni.", "2026-11-16", "2026-11-16", "Lunedì"),
    ("en", "Russia launched 60 drones on Monday.", "2026-11-16", "2026-11-16", "Monday"),
    ("en", "The talks were held on Wednesday.", "2026-11-18", "2026-11-18", "Wednesday"),
    ("it", "La scorsa settimana i due ministri si sono incontrati.", "2026-11-09", "2026-11-15", "La scorsa settimana"),
    ("it", "Sono arrivati all'inizio di quest'anno.", "2026-01-01", "2026-03-31", "all'inizio di quest'anno"),
    ("it", "I soldati sono stati inviati a gennaio e febbraio.", "2026-01-01", "2026-02-28", "gennaio e febbraio"),
    ("en", "The treaty was signed last year.", "2025-01-01", "2025-12-31", "last year"),
    ("it", "A dicembre la Corea del Nord ha inviato altri soldati.", "2025-12-01", "2025-12-31", "dicembre"),
    ("en", "Troops arrived yesterday.", "2026-11-17", "2026-11-17", "yesterday"),
])
def test_time_words_resolve_to_ranges(lang: str, text: str, start: str, end: str, said: str) -> None:
    resolved = resolve(lang, text)
    assert resolved == {"text": said, "start": start, "end": end}


def test_without_a_publication_date_the_words_are_kept_unresolved() -> None:
    assert resolve("en", "Russia launched 60 drones on Monday.", None) == {"text": "Monday", "start": None, "end": None}


def test_no_time_words_no_time() -> None:
    assert resolve("en", "Russia launched 60 drones at Ukraine.") is None
