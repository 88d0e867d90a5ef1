"""clean(raw) -> CleanArticle: main text out of HTML, page furniture out, text normalised, language known.

Offsets of every later stage point into the `body` this returns.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime
from functools import cache

from streams import lang as lang_data
from streams.records import CleanArticle, RawArticle
from streams.stages.rejected import Rejected

# Typographic quotes and apostrophes folded to ASCII so lexicons and names match one spelling.
QUOTE_MAP = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201a": "'", "\u2032": "'", "\u201c": '"',
                           "\u201d": '"', "\u201e": '"', "\u00ab": '"', "\u00bb": '"', "\u00a0": " "})
FURNITURE_EDGES = " \t-–—•*|·:>"
MIN_DETECT_HITS = 3
MAX_TEASER_CHARS = 160
MIN_SENTENCE_WORDS = 8


def normalise_line(line: str) -> str:
    text = unicodedata.normalize("NFC", line).translate(QUOTE_MAP)
    return " ".join(text.split())


@cache
def _boilerplate() -> tuple[frozenset[str], tuple[str, ...]]:
    """Furniture lines and prefixes of every supported language (a page may mix them)."""
    lines: set[str] = set()
    prefixes: list[str] = []
    for code in lang_data.supported_languages():
        data = lang_data.load(code)
        lines |= {_furniture_key(x) for x in data["boilerplate_lines"]}
        prefixes += [normalise_line(p).lower() for p in data["boilerplate_prefixes"]]
    return frozenset(lines), tuple(prefixes)


def _furniture_key(line: str) -> str:
    return normalise_line(line).lower().strip(FURNITURE_EDGES)


def is_boilerplate(line: str) -> bool:
    """A furniture line ("- Pubblicità -"), or a short teaser starting like one ("Leggi anche: …"). A line
    that reads as a full sentence is content even when it starts with a furniture word ("Aggiornato il
    bilancio: almeno 12 morti.")."""
    lines, prefixes = _boilerplate()
    key = _furniture_key(line)
    if not key or key in lines:
        return True
    text = normalise_line(line)
    ends_like_prose = text.rstrip('"\'').endswith((".", "!", "?")) and len(text.split()) >= MIN_SENTENCE_WORDS
    is_sentence = len(text) > MAX_TEASER_CHARS or ends_like_prose
    return not is_sentence and text.lower().startswith(prefixes)


def paragraphs(text: str) -> list[str]:
    """Blank lines separate paragraphs; consecutive lines of one paragraph are joined."""
    blocks = re.split(r"\n\s*\n", text.replace("\r\n", "\n").replace("\r", "\n"))
    return [" ".join(normalise_line(x) for x in block.split("\n") if x.strip()) for block in blocks]


def strip_boilerplate(text: str) -> tuple[list[str], int]:
    """Drop furniture lines (each line judged alone), then rebuild paragraphs. Returns (paragraphs, removed)."""
    kept: list[str] = []
    removed = 0
    for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        if line.strip() and is_boilerplate(line):
            removed += 1
            kept.append("")  # the furniture line also ends the paragraph around it
        else:
            kept.append(line)
    return [p for p in paragraphs("\n".join(kept)) if p], removed


def html_to_text(html: str) -> tuple[str | None, str]:
    """(title, text with one paragraph per line) from a raw page, with trafilatura. The title is the page's
    first <h1> (the headline as printed), else its metadata title."""
    import trafilatura

    doc = trafilatura.bare_extraction(html, with_metadata=True, include_comments=False, include_tables=False)
    if doc is None:
        return None, ""
    headline = first_h1(html)
    title = headline or getattr(doc, "title", None) or None
    lines = (getattr(doc, "text", None) or "").split("\n")
    repeated = {normalise_line(t) for t in (headline, getattr(doc, "title", None)) if t}
    if lines and normalise_line(lines[0]) in repeated:
        lines = lines[1:]  # trafilatura keeps the <h1> as the first line of the text
    return title, "\n\n".join(lines)


def first_h1(html: str) -> str | None:
    from lxml import etree
    from lxml import html as lxml_html

    try:
        tree = lxml_html.fromstring(html)
    except (etree.ParserError, ValueError):
        return None
    for h1 in tree.iter("h1"):
        text = normalise_line(h1.text_content())
        if text:
            return text
    return None


def detect_language(text: str, hint: str | None) -> str | None:
    """The supported language whose function words the text uses most; a hint wins only when the
    text does not clearly say otherwise."""
    words = re.findall(r"[^\W\d_]+", text.lower()[:5000])
    scores: dict[str, int] = {}
    for code in lang_data.supported_languages():
        vocab = set(lang_data.load(code).get("function_words", []))
        scores[code] = sum(1 for w in words if w in vocab)
    best = max(scores, key=lambda c: scores[c]) if scores else None
    if best is None or scores[best] < MIN_DETECT_HITS:
        return hint if hint in scores and scores.get(hint, 0) > 0 else None
    if hint in scores and scores[hint] * 2 >= scores[best]:
        return hint
    return best


def clean(raw: RawArticle, now: datetime) -> CleanArticle | Rejected:
    """The pure cleaning step. `now` stamps ingested_at (passed in, so the function stays pure)."""
    title = raw.title
    if raw.text and raw.text.strip():
        text = raw.text
    else:
        html_title, text = html_to_text(raw.html or "")
        title = title or html_title
    paras, removed = strip_boilerplate(text)
    if not paras:
        return Rejected("no_content", "nothing but page furniture is left after cleaning")
    body = "\n\n".join(paras)
    lang = detect_language(body, (raw.lang or "").lower() or None)
    return CleanArticle(
        id=raw.id, url=raw.url, outlet=raw.outlet, published_at=raw.published_at,
        lang=lang, lang_supported=lang in lang_data.supported_languages(),
        title=normalise_line(title or ""), body=body, duplicate_of=None,
        ingested_at=now.isoformat(), boilerplate_removed=removed,
    )
