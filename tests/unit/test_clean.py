"""streams/stages/clean.py on the real sample pages: furniture out, content kept verbatim (quotes folded),
title apart from the body, paragraphs separated by a blank line, language detected."""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

import orjson
import pytest

from streams import codecs, sources
from streams.records import CleanArticle, RawArticle
from streams.stages.clean import clean
from streams.stages.rejected import Rejected

REPO = Path(__file__).resolve().parents[2]
SAMPLES = REPO / "streams" / "samples"
DATA = REPO / "tests" / "data" / "articles"
NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)

# Typographic quotes as the body must show them: ’ ‘ -> ', “ ” « » -> ", no-break space -> space.
FOLD = str.maketrans({"\u2019": "'", "\u2018": "'", "\u201c": '"', "\u201d": '"', "\u00ab": '"',
                      "\u00bb": '"', "\u00a0": " "})


def fold(text: str) -> str:
    return text.translate(FOLD)


def path_of(name: str) -> Path:
    return SAMPLES / name if (SAMPLES / name).exists() else DATA / name


def raw_article(name: str, **changes: Any) -> RawArticle:
    loaded = list(sources.read(str(path_of(name))))
    assert len(loaded) == 1 and loaded[0].article is not None, loaded
    raw = codecs.decode_raw_article(orjson.dumps({**loaded[0].article, **changes}), 2_000_000)
    assert isinstance(raw, RawArticle), raw
    return raw


@cache
def cleaned(name: str, lang: str | None = None) -> CleanArticle:
    result = clean(raw_article(name, **({"lang": lang} if lang else {})), NOW)
    assert isinstance(result, CleanArticle), result
    return result


def paras(name: str) -> list[str]:
    return cleaned(name).body.split("\n\n")


def clean_text(text: str, **fields: Any) -> CleanArticle | Rejected:
    return clean(RawArticle(id=fields.pop("id", "t.txt"), text=text, **fields), NOW)


# --- furniture ------------------------------------------------------------------------------------------

TXT_FURNITURE = {
    "it-corea-truppe.txt": ["Condividi su Facebook", "- Pubblicità -", "Potrebbe interessarti",
                            "Leggi anche: Ucraina, raid notturno su Odessa: colpito il porto",
                            "Ultime Notizie"],
    "it-sanzioni.txt": ["Ultime Notizie", "- Pubblicità -",
                        "Leggi anche: Energia, il prezzo del gas torna sotto i 40 euro",
                        "Potrebbe interessarti", "Condividi su Facebook"],
    "en-black-sea.txt": ["Share this article", "- Advertisement -", "Related articles", "Most read"],
    "en-no-claims.txt": ["Share this article"],
    "it-duplicate-corea.txt": ["Ultime Notizie", "ADV", "Ti potrebbe interessare anche",
                               "Segui il nostro canale WhatsApp", "Riproduzione riservata"],
}
HTML_FURNITURE = {
    "en-sanctions.html": [
        # <head>: title, meta, style, script
        "The Northbridge Ledger", "Brussels targets Russian lenders", "font-family", "gtag", "dataLayer",
        "articleMeta", "awaiting consent",
        # cookie banner and nav
        "We use cookies", "cookie policy", "Accept all", "World", "Business", "Markets", "Opinion",
        "Podcasts", "Subscribe",
        # in-article furniture
        "Advertisement", "Read more", "How the shadow fleet keeps Russian oil flowing",
        # aside and footer
        "Most read", "Oil prices slip", "Typhoon season", "Airline strikes", "defence spending dilemma",
        "Sign up for our newsletter", "you@example.com", "All rights reserved", "Terms", "Privacy",
        "Contact us", "querySelectorAll", "data-loaded",
    ],
    "it-aiuti.html": [
        "Il Corriere del Lago", "font-family", "_paq", "trackPageView", "sezione",
        "Questo sito utilizza cookie", "acconsenti", "Informativa", "Accetta",
        "Cronaca", "Politica", "Economia", "Sport", "Abbonati",
        "Pubblicità", "Leggi anche", "Gas, i prezzi tornano a salire in Europa",
        "Articoli correlati", "Kiev al buio", "2% del Pil", "export record",
        "Riproduzione riservata", "P.IVA", "Iscriviti alla newsletter", "Cookie policy", "Redazione",
    ],
}


def furniture_cases() -> list[Any]:
    cases = []
    for name, lines in {**TXT_FURNITURE, **HTML_FURNITURE}.items():
        for line in lines:
            marks: list[Any] = []
            cases.append(pytest.param(name, line, id=f"{name}:{line}", marks=marks))
    return cases


@pytest.mark.parametrize(("name", "junk"), furniture_cases())
def test_furniture_is_absent_from_the_body(name: str, junk: str) -> None:
    if name in TXT_FURNITURE:  # the line really is in the source file, on a line of its own
        assert junk in path_of(name).read_text(encoding="utf-8").splitlines()
    else:
        assert junk in path_of(name).read_text(encoding="utf-8")
    assert fold(junk) not in cleaned(name).body


def test_furniture_counts_for_txt_files() -> None:
    for name in ("it-corea-truppe.txt", "it-sanzioni.txt", "en-black-sea.txt", "en-no-claims.txt"):
        lines = path_of(name).read_text(encoding="utf-8").splitlines()
        expected = sum(1 for line in lines if line in TXT_FURNITURE[name])
        assert cleaned(name).boilerplate_removed == expected, name


def test_boilerplate_only_article_is_no_content() -> None:
    result = clean(raw_article("en-boilerplate-only.txt"), NOW)
    assert isinstance(result, Rejected)
    assert result.reason == "no_content"


@pytest.mark.parametrize(
    "line",
    ["Advertisement", "ADVERTISEMENT", "— Advertisement —", "  - advertisement -  ", "• Pubblicità •",
     "PUBBLICITÀ", "Read more: Ten things about the war", "Leggi anche: altro articolo", "© 2026 Example "
     "S.p.A.",
     "Share this article", "Condividi su WhatsApp", "Related articles", "Most read", "Ultime notizie"],
)
def test_furniture_variants_are_dropped(line: str) -> None:
    text = f"The first paragraph stays here.\n\n{line}\n\nThe second paragraph stays too."
    result = clean_text(text)
    assert isinstance(result, CleanArticle)
    assert result.body == "The first paragraph stays here.\n\nThe second paragraph stays too."
    assert result.boilerplate_removed == 1


@pytest.mark.parametrize(
    "sentence",
    [
        "The paper said the advertisement was misleading and withdrew it.",
        "Readers were asked to share this article with their representatives.",
        "La pubblicità elettorale è vietata nelle ultime notizie della giornata.",
        "Most read the report as a warning, officials said.",
    ],
)
def test_content_that_merely_mentions_furniture_words_is_kept(sentence: str) -> None:
    result = clean_text(f"{sentence}\n\nAnother line of real text.")
    assert isinstance(result, CleanArticle)
    assert result.body.split("\n\n")[0] == sentence
    assert result.boilerplate_removed == 0


@pytest.mark.parametrize(
    "sentence",
    [
        "Aggiornato il bilancio delle vittime: almeno 12 morti nel raid russo su Odessa, secondo le autorità "
        "locali.",
        "Pubblicato il rapporto annuale dell'Onu: almeno 4.000 civili uccisi in Ucraina nel 2025.",
    ],
    ids=["aggiornato-il", "pubblicato-il"],
)
def test_news_paragraph_opening_like_a_furniture_prefix_is_kept(sentence: str) -> None:
    result = clean_text(f"Primo paragrafo del pezzo.\n\n{sentence}")
    assert isinstance(result, CleanArticle)
    assert result.body == f"Primo paragrafo del pezzo.\n\n{sentence}"


def test_furniture_prefix_lines_are_dropped() -> None:
    result = clean_text("Primo paragrafo.\n\nAggiornato il 20 novembre 2026 alle 10:30\n\nSecondo paragrafo.")
    assert isinstance(result, CleanArticle)
    assert result.body == "Primo paragrafo.\n\nSecondo paragrafo."


def test_boilerplate_only_text_is_no_content() -> None:
    result = clean_text("- Advertisement -\n\nShare this article\n\nPotrebbe interessarti\n")
    assert isinstance(result, Rejected)
    assert result.reason == "no_content"


# --- content kept verbatim ------------------------------------------------------------------------------


def expected_txt_paragraphs(name: str) -> list[str]:
    """The source's paragraphs after the title line, furniture lines out, quotes folded."""
    text = path_of(name).read_text(encoding="utf-8")
    blocks = [b.strip() for b in re.split(r"\n\s*\n", text) if b.strip()]
    return [fold(b) for b in blocks[1:] if b not in TXT_FURNITURE[name]]


TXT_NAMES = [
    "it-corea-truppe.txt", "it-sanzioni.txt", "en-black-sea.txt", "en-no-claims.txt",
    pytest.param("it-duplicate-corea.txt"),
]


@pytest.mark.parametrize("name", TXT_NAMES)
def test_txt_body_is_the_content_paragraphs_verbatim(name: str) -> None:
    assert cleaned(name).body == "\n\n".join(expected_txt_paragraphs(name))


@pytest.mark.parametrize(
    ("name", "sentence"),
    [
        ("it-corea-truppe.txt", "SEUL – Sembra che la Corea del Nord abbia inviato almeno 3.000 soldati "
         "in Russia all'inizio di quest'anno, a sostegno delle operazioni di Mosca contro l'Ucraina."),
        ("it-corea-truppe.txt", '"I contatti sono in corso e la data sarà annunciata a tempo debito", '
         "ha dichiarato Rudenko."),
        ("it-corea-truppe.txt", 'Kiev ha definito "inaccettabili" le condizioni poste da Mosca, ha detto il '
         "ministro degli Esteri ucraino."),
        ("it-sanzioni.txt", 'Nel mirino finiscono anche meno di 10 navi della cosiddetta "flotta ombra", '
         "stando a fonti diplomatiche."),
        ("en-black-sea.txt", "Hours after the announcement, according to Ukraine's General Staff, Russian "
         "forces launched more than 120 drones overnight against targets in the south and east of the "
         "country."),
        ("en-black-sea.txt", '"The lifting of restrictions is a precondition," Kremlin spokesman Dmitry '
         "Peskov told reporters."),
        ("en-no-claims.txt", "The old tram line, built in 1896, still runs along the embankment and remains "
         "a favourite with visitors."),
        ("it-duplicate-corea.txt", "Secondo quanto riportato dall'agenzia nordcoreana KCNA, nelle scorse "
         "settimane il segretario del Consiglio di sicurezza russo Sergei Shoigu ha incontrato a Pyongyang "
         "Kim Jong Un."),
    ],
)
def test_content_sentences_are_kept_verbatim(name: str, sentence: str) -> None:
    assert sentence in cleaned(name).body


HTML_PARAGRAPHS = {
    "en-sanctions.html": [
        "BRUSSELS – The European Union on Monday adopted a new package of sanctions against Russia, "
        "targeting "
        "at least 20 banks accused of helping Moscow circumvent existing financial restrictions.",
        "The measures also add dozens of vessels from Russia's so-called shadow fleet to a port-access ban "
        "and "
        "extend export controls to companies in third countries, the European Commission said in a "
        "statement.",
        '"Every euro we deny the Kremlin is a euro it cannot spend on this war," EU foreign policy chief '
        'Kaja '
        "Kallas told reporters after the meeting of foreign ministers.",
        "According to EU officials, the listed lenders include regional banks in Russia as well as several "
        "institutions in Central Asia that processed payments for sanctioned defence firms.",
        "Iran reportedly supplied hundreds of Shahed-type drones to Russia last year, and the package "
        "blacklists "
        "more than a dozen Iranian entities allegedly involved in their production, diplomats said.",
        "Russia's foreign ministry said it would respond to what it called \"illegitimate unilateral "
        "measures\", "
        "spokeswoman Maria Zakharova told the state news agency RIA Novosti.",
        "Hungary and Slovakia had held up the agreement for weeks before dropping their objections on Sunday "
        "night, two diplomats familiar with the talks said.",
        "EU trade with Russia has fallen by roughly 60% since 2021, according to Eurostat data.",
        "The first round of restrictions was approved in 2014, after the annexation of Crimea.",
        "Brussels is expected to begin work on a further package before the summer, officials said.",
    ],
    "it-aiuti.html": [
        "ROMA – Il governo italiano ha stanziato oltre 200 milioni di euro in nuovi aiuti all'Ucraina, "
        "destinati "
        "soprattutto alla ricostruzione della rete energetica e al sostegno umanitario. Lo ha annunciato il "
        "ministro degli Esteri Antonio Tajani al termine del Consiglio dei ministri.",
        "La presidente del Consiglio Giorgia Meloni ha ricevuto oggi a Palazzo Chigi il presidente ucraino "
        "Volodymyr Zelensky. Nel corso dei colloqui, durati circa due ore, i due leader hanno discusso della "
        "difesa aerea e della conferenza sulla ripresa dell'Ucraina.",
        '"L\'Italia resterà al fianco del popolo ucraino fino a quando sarà necessario", ha dichiarato '
        'Meloni in '
        "una conferenza stampa congiunta. Zelensky ha ringraziato Roma e ha affermato che Kiev ha bisogno di "
        '"almeno altri due sistemi Samp/T" per proteggere le città.',
        "Secondo fonti diplomatiche, il nuovo pacchetto comprenderebbe anche generatori e attrezzature "
        "mediche "
        "per gli ospedali delle regioni orientali.",
        "In una nota, la NATO ha ribadito il proprio sostegno a Kiev e ha invitato gli alleati ad accelerare "
        "le "
        "consegne di munizioni. Il segretario generale Mark Rutte ha detto che \"la sicurezza dell'Ucraina è "
        "la "
        'sicurezza dell\'Europa".',
        "Poche ore prima dell'incontro, un attacco con missili balistici ha colpito Kharkiv, uccidendo "
        "almeno 7 "
        "civili, secondo le autorità ucraine. Altre 30 persone sarebbero rimaste ferite, ha riferito il "
        "sindaco "
        "Ihor Terekhov.",
        'Mosca ha sostenuto di aver colpito "obiettivi militari", come ha riportato la TASS citando il '
        "ministero della Difesa russo.",
        "Palazzo Chigi, sede del governo dal 1961, si affaccia su piazza Colonna.",
    ],
}


@pytest.mark.parametrize("name", sorted(HTML_PARAGRAPHS))
def test_html_article_paragraphs_are_kept_whole_and_in_order(name: str) -> None:
    body_paras = paras(name)
    positions = []
    for expected in HTML_PARAGRAPHS[name]:
        assert expected in body_paras, expected[:60]
        positions.append(body_paras.index(expected))
    assert positions == sorted(positions)


def test_html_body_has_nothing_but_the_article() -> None:
    assert paras("en-sanctions.html") == HTML_PARAGRAPHS["en-sanctions.html"]


# --- title ----------------------------------------------------------------------------------------------

TITLES = {
    "it-corea-truppe.txt": "Corea del Nord, altri 3.000 soldati inviati in Russia",
    "it-sanzioni.txt": "Sanzioni, stretta Ue sulla flotta ombra di Mosca",
    "en-black-sea.txt": "Russia and Ukraine agree Black Sea truce as drone strikes continue",
    "en-no-claims.txt": "A quiet morning on the Danube promenade",
    "it-duplicate-corea.txt": "Corea del Nord invia altri 3.000 soldati in Russia",
    # <h1> (= <title> without the site name)
    "en-sanctions.html": "EU hits Russian banks with new sanctions package",
    "it-aiuti.html": "Ucraina, dall'Italia oltre 200 milioni di aiuti. Meloni riceve Zelensky a Roma",
}


@pytest.mark.parametrize(
    "name", [pytest.param(n) for n in TITLES]
)
def test_title(name: str) -> None:
    assert cleaned(name).title == TITLES[name]


@pytest.mark.parametrize(
    "name", [pytest.param(n) for n in TITLES]
)
def test_title_is_not_repeated_in_the_body(name: str) -> None:
    article = cleaned(name)
    assert TITLES[name] not in article.body
    assert article.title not in article.body


def test_txt_title_first_line_is_folded_and_nfc() -> None:
    result = clean_text("Body text here.", title="L\u2019Italia e\u0300 \u00abpronta\u00bb")
    assert isinstance(result, CleanArticle)
    assert result.title == "L'Italia è \"pronta\""


def test_raw_title_wins_over_the_html_title() -> None:
    html = "<html><head><title>Page title</title></head><body><article><h1>Headline</h1>" + \
        "".join(f"<p>Paragraph number {i} of the article, with enough words to count as text.</p>"
                for i in range(5)) + "</article></body></html>"
    result = clean(RawArticle(id="p.html", html=html, title="Producer title"), NOW)
    assert isinstance(result, CleanArticle)
    assert result.title == "Producer title"


# --- paragraphs and normalisation -----------------------------------------------------------------------


@pytest.mark.parametrize("name", [*TITLES])
def test_paragraphs_are_separated_by_one_blank_line(name: str) -> None:
    body = cleaned(name).body
    assert body == body.strip()
    assert "\n\n\n" not in body
    for para in body.split("\n\n"):
        assert para, "no empty paragraph"
        assert "\n" not in para
        assert para == para.strip()
        assert "  " not in para
    assert len(body.split("\n\n")) >= 1


@pytest.mark.parametrize("name", [*TITLES])
def test_no_typographic_quotes_or_decomposed_accents_left(name: str) -> None:
    article = cleaned(name)
    for text in (article.body, article.title):
        assert not set(text) & {"\u2019", "\u2018", "\u201c", "\u201d", "\u00ab", "\u00bb", "\u00a0"}
        assert unicodedata.is_normalized("NFC", text)


def test_lines_of_one_paragraph_are_joined_and_whitespace_collapsed() -> None:
    result = clean_text("First line\nof one   paragraph.\t\tStill it.\r\n\r\n\r\nSecond\u00a0paragraph.  \n")
    assert isinstance(result, CleanArticle)
    assert result.body == "First line of one paragraph. Still it.\n\nSecond paragraph."


def test_a_furniture_line_inside_a_paragraph_splits_it() -> None:
    result = clean_text("Before the ad.\n- Advertisement -\nAfter the ad.")
    assert isinstance(result, CleanArticle)
    assert result.body == "Before the ad.\n\nAfter the ad."


def test_nfc_normalisation() -> None:
    decomposed = "Il caffe\u0301 e\u0300 pronto: perche\u0301 no? Citta\u0300 di Sa\u0303o Paulo."
    assert "é" not in decomposed
    result = clean_text(decomposed)
    assert isinstance(result, CleanArticle)
    assert result.body == "Il caffé è pronto: perché no? Città di São Paulo."
    assert "\u0301" not in result.body and "\u0300" not in result.body


def test_quote_normalisation() -> None:
    result = clean_text("\u201cNo\u201d, disse. \u00abS\u00ec\u00bb, rispose l\u2019altro. \u2018Ok\u2019")
    assert isinstance(result, CleanArticle)
    assert result.body == "\"No\", disse. \"Sì\", rispose l'altro. 'Ok'"


# --- metadata -------------------------------------------------------------------------------------------


def test_metadata_is_carried_over() -> None:
    raw = RawArticle(id="m-1", url="https://example.test/m", outlet="example.test",
                     published_at="2026-11-20T09:30:00Z", text="Some body text.")
    result = clean(raw, NOW)
    assert isinstance(result, CleanArticle)
    assert (result.id, result.url, result.outlet, result.published_at) == (
        "m-1", "https://example.test/m", "example.test", "2026-11-20T09:30:00Z")
    assert result.ingested_at == NOW.isoformat()
    assert result.duplicate_of is None
    assert result.boilerplate_removed == 0


@pytest.mark.parametrize("name", [*TITLES, "en-summit.json"])
def test_clean_article_validates_against_its_schema(name: str) -> None:
    data = orjson.loads(codecs.encode(cleaned(name)))
    assert codecs.schema_errors(CleanArticle.schema, data) == []


# --- language -------------------------------------------------------------------------------------------

LANGS = {
    "it-corea-truppe.txt": "it", "it-sanzioni.txt": "it", "it-duplicate-corea.txt": "it",
    "it-aiuti.html": "it",
    "en-black-sea.txt": "en", "en-no-claims.txt": "en", "en-sanctions.html": "en", "en-summit.json": "en",
}


@pytest.mark.parametrize("name", sorted(LANGS))
def test_language_is_detected_without_a_hint(name: str) -> None:
    raw = raw_article(name, lang=None)
    assert raw.lang is None
    result = clean(raw, NOW)
    assert isinstance(result, CleanArticle)
    assert result.lang == LANGS[name]
    assert result.lang_supported


@pytest.mark.parametrize("name", sorted(LANGS))
def test_a_right_hint_is_kept(name: str) -> None:
    article = cleaned(name, LANGS[name])
    assert article.lang == LANGS[name]
    assert article.lang_supported


@pytest.mark.parametrize("name", sorted(LANGS))
def test_a_wrong_hint_is_overridden(name: str) -> None:
    wrong = "en" if LANGS[name] == "it" else "it"
    assert cleaned(name, wrong).lang == LANGS[name]


def test_unsupported_language_is_not_supported() -> None:
    result = clean_text("Der Bundestag hat heute über den Haushalt abgestimmt, und die Opposition war "
                        "dagegen, weil die Ausgaben für die Verteidigung zu hoch sind.", lang="de")
    assert isinstance(result, CleanArticle)
    assert result.lang != "it" and result.lang != "en"
    assert not result.lang_supported


# --- determinism and offsets ----------------------------------------------------------------------------


@pytest.mark.parametrize("name", [*TITLES, "en-summit.json"])
def test_clean_is_deterministic(name: str) -> None:
    first = clean(raw_article(name), NOW)
    second = clean(raw_article(name), NOW)
    assert isinstance(first, CleanArticle) and isinstance(second, CleanArticle)
    assert first.to_representation() == second.to_representation()


@pytest.mark.parametrize("name", [*TITLES])
def test_body_offsets_are_stable(name: str) -> None:
    first = clean(raw_article(name), NOW)
    assert isinstance(first, CleanArticle)
    spans = []
    for para in first.body.split("\n\n"):
        for sentence in re.split(r"(?<=[.!?\"])\s+", para):
            start = first.body.index(sentence)
            spans.append((start, start + len(sentence), sentence))
    second = clean(raw_article(name), datetime(2030, 1, 1, tzinfo=UTC))
    assert isinstance(second, CleanArticle)
    for start, end, sentence in spans:
        assert second.body[start:end] == sentence


def test_cleaning_a_cleaned_body_changes_nothing() -> None:
    once = cleaned("en-black-sea.txt")
    again = clean_text(once.body, title=once.title)
    assert isinstance(again, CleanArticle)
    assert again.body == once.body
    assert again.title == once.title
    assert again.boilerplate_removed == 0
