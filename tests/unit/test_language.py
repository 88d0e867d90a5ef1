"""streams/stages/language.py: lingua over a fixed set of candidates; a hint is trusted only when the text agrees
with it or says too little; languages we do not support are recognised as such (prepare flags them)."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

import orjson
import pytest

from streams import codecs
from streams.records import CleanArticle, RawArticle
from streams.sources import read
from streams.stages.clean import prepare
from streams.stages.language import CANDIDATES, MIN_LETTERS, detect_language

CORPUS = Path(__file__).resolve().parents[1] / "data" / "clean"
MANIFEST: list[dict[str, Any]] = orjson.loads((CORPUS / "manifest.json").read_bytes())["pages"]
NOW = datetime(2025, 6, 1, 9, 0, tzinfo=UTC)

ITALIAN = (
    "Il consiglio comunale di Como ha approvato ieri sera il nuovo piano per la viabilità del lungolago, dopo "
    "una discussione durata quasi quattro ore. Secondo l'assessore ai lavori pubblici, i cantieri partiranno a "
    "marzo e dureranno circa otto mesi.\n\n"
    "Durante i lavori la strada costiera sarà percorribile a senso unico alternato. I commercianti del centro "
    "temono un calo degli affari e chiedono parcheggi gratuiti per i clienti. Il sindaco ha promesso un tavolo "
    "di confronto entro la fine del mese."
)
ENGLISH = (
    "Dock workers at Europe's largest port walked out on Monday in a dispute over automation, halting container "
    "traffic at three of the main terminals. The strike is expected to last at least 48 hours.\n\n"
    "The union said the operator had broken a promise to consult staff before introducing remote-controlled "
    "cranes. The company said the new equipment would not cost any jobs. Shipping lines began diverting vessels "
    "to Antwerp and Hamburg within hours."
)
GERMAN = (
    "Die Bundesregierung hat am Mittwoch ein neues Hilfspaket für die vom Hochwasser betroffenen Gemeinden in "
    "Bayern beschlossen. Nach Angaben des Finanzministeriums sollen insgesamt rund 200 Millionen Euro "
    "bereitgestellt werden. Die Bürgermeister mehrerer Orte an der Donau hatten zuvor schnelle Unterstützung "
    "gefordert, weil viele Keller und Geschäfte noch immer unter Wasser stehen. Der Deutsche Wetterdienst warnt "
    "unterdessen vor weiteren starken Regenfällen bis zum Wochenende."
)
FRENCH = (
    "Le gouvernement a annoncé mardi un plan d'urgence pour les agriculteurs touchés par la sécheresse dans le "
    "sud-ouest du pays. Selon le ministère de l'Agriculture, près de 3 000 exploitations pourront bénéficier "
    "d'une aide exceptionnelle avant la fin du mois. Les syndicats agricoles jugent toutefois ces mesures "
    "insuffisantes et appellent à une nouvelle manifestation devant la préfecture de Toulouse. Les nappes "
    "phréatiques restent à un niveau historiquement bas, d'après le dernier bulletin du service géologique."
)
SPANISH = (
    "El Gobierno aprobó este martes un nuevo paquete de ayudas para los municipios afectados por los incendios "
    "forestales en Galicia. Según el Ministerio del Interior, las llamas han arrasado más de 12.000 hectáreas "
    "desde el comienzo del verano. Los alcaldes de la comarca reclaman desde hace semanas más medios aéreos y una "
    "mejor coordinación entre las administraciones. Los bomberos forestales confían en que el descenso de las "
    "temperaturas previsto para el fin de semana ayude a estabilizar los frentes activos."
)
FOREIGN = [("de", GERMAN), ("fr", FRENCH), ("es", SPANISH)]


@cache
def page(name: str) -> RawArticle:
    """A corpus page as a producer would send it, without any language hint."""
    [item] = list(read(str(CORPUS / "pages" / name)))
    assert item.article is not None, item.error
    fields = {k: v for k, v in item.article.items() if k != "lang"}
    raw = codecs.decode_raw_article(orjson.dumps(fields), 2_000_000)
    assert isinstance(raw, RawArticle), raw
    return raw


def expected_text(name: str) -> str:
    return (CORPUS / "expected" / f"{name}.txt").read_text(encoding="utf-8")


def test_candidates_include_the_languages_tested_here() -> None:
    assert {"it", "en", "de", "fr", "es"} <= set(CANDIDATES)


@pytest.mark.parametrize("entry", MANIFEST, ids=lambda p: p["file"])
def test_corpus_page_language_without_a_hint(entry: dict[str, Any]) -> None:
    assert detect_language(expected_text(entry["file"]), None) == entry["lang"]
    article = prepare(page(entry["file"]), NOW)
    assert isinstance(article, CleanArticle), article
    assert article.lang == entry["lang"]
    assert article.lang_supported is True


@pytest.mark.parametrize(("text", "hint"), [(ITALIAN, "it"), (ENGLISH, "en")])
def test_a_correct_hint_is_kept(text: str, hint: str) -> None:
    assert detect_language(text, hint) == hint


@pytest.mark.parametrize(("text", "hint", "expected"), [
    (ITALIAN, "en", "it"),
    (ENGLISH, "it", "en"),
    (GERMAN, "it", "de"),
    (SPANISH, "it", "es"),  # a neighbouring Romance language is no excuse to keep a wrong hint
    (SPANISH, "pt", "es"),
    (ITALIAN, "es", "it"),
])
def test_a_wrong_hint_is_overridden(text: str, hint: str, expected: str) -> None:
    assert detect_language(text, hint) == expected


def test_a_wrong_hint_on_a_corpus_page_is_overridden() -> None:
    name = next(p["file"] for p in MANIFEST if p["lang"] == "it" and p["file"].endswith(".html"))
    raw = codecs.decode_raw_article(orjson.dumps({**page(name).asdict(), "lang": "en"}), 2_000_000)
    assert isinstance(raw, RawArticle), raw
    article = prepare(raw, NOW)
    assert isinstance(article, CleanArticle), article
    assert article.lang == "it"


@pytest.mark.parametrize(("code", "text"), FOREIGN, ids=[c for c, _ in FOREIGN])
def test_unsupported_languages_are_recognised_and_flagged(code: str, text: str) -> None:
    assert detect_language(text, None) == code
    article = prepare(RawArticle(id=f"{code}.txt", title="Titel", text=text), NOW)
    assert isinstance(article, CleanArticle), article
    assert article.lang == code
    assert article.lang_supported is False
    # an Italian hint does not turn them into Italian
    hinted = prepare(RawArticle(id=f"{code}-hinted.txt", lang="it", text=text), NOW)
    assert isinstance(hinted, CleanArticle), hinted
    assert (hinted.lang, hinted.lang_supported) == (code, False)


@pytest.mark.parametrize("text", ["", "   ", "Roma, 12 maggio", "12.000 - 3.500 (2025)", "a" * (MIN_LETTERS - 1),
                                  "ÀÈÌÒÙ àèìòù 1234"])
def test_text_below_min_letters_returns_the_hint(text: str) -> None:
    assert sum(ch.isalpha() for ch in text) < MIN_LETTERS
    assert detect_language(text, "it") == "it"
    assert detect_language(text, "en") == "en"
    assert detect_language(text, None) is None


def test_text_with_min_letters_is_detected() -> None:
    text = "Il sindaco ha firmato ieri il decreto sulla viabilità"
    assert sum(ch.isalpha() for ch in text) >= MIN_LETTERS
    assert detect_language(text, None) == "it"


@pytest.mark.parametrize(("text", "hint", "expected"), [
    (ITALIAN, "IT", "it"),
    (ITALIAN, "It", "it"),
    (ITALIAN, "EN", "it"),
    (ENGLISH, "EN", "en"),
    ("Roma, 12 maggio", "IT", "it"),
])
def test_hint_in_uppercase(text: str, hint: str, expected: str) -> None:
    assert detect_language(text, hint) == expected


def test_uppercase_hint_through_prepare() -> None:
    article = prepare(RawArticle(id="it.txt", lang="IT", text=ITALIAN), NOW)
    assert isinstance(article, CleanArticle), article
    assert (article.lang, article.lang_supported) == ("it", True)
    short = prepare(RawArticle(id="short.txt", lang="IT", text="Roma, 12 maggio"), NOW)
    assert isinstance(short, CleanArticle), short
    assert (short.lang, short.lang_supported) == ("it", True)


def test_detection_is_deterministic() -> None:
    assert {detect_language(ITALIAN, None) for _ in range(3)} == {"it"}


@pytest.mark.parametrize(("text", "hint"), [
    ("Il sindaco ha firmato il decreto.", "it"),  # -> "pt"
    ("Ukraine war: attack on Kharkiv", "en"),  # -> "fr"
    ("Meloni meets Zelensky in Rome.", "en"),  # -> "nl"
])
def test_a_correct_hint_is_kept_on_short_text(text: str, hint: str) -> None:
    assert detect_language(text, hint) == hint


def test_an_article_without_language_rules_is_rejected_by_extraction_with_its_reason() -> None:
    from streams.stages.extract import unsupported

    raw = RawArticle(id="de-x", title="Energie", text="Der Bundestag hat am Donnerstag mit großer Mehrheit ein neues "
                     "Gesetz zur Energieversorgung beschlossen, das die Preise für Haushalte senken soll.")
    article = prepare(raw, datetime.now(UTC))
    assert isinstance(article, CleanArticle) and not article.lang_supported
    rejected = unsupported(article)
    assert rejected is not None and rejected.reason == "unsupported_language" and "de" in rejected.detail
    assert unsupported(CleanArticle.from_data({**article.to_representation(), "lang_supported": True})) is None
