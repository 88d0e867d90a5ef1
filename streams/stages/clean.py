"""clean(raw) -> CleanArticle: main text out of HTML, page furniture out, text normalised, language known,
syndicated copies flagged. Offsets of every later stage point into the `body` this returns.

Two steps, because they scale differently: `prepare` needs nothing but the article (any worker, any
partition); `finish` needs what was seen before — learned furniture per outlet and the MinHash index of
recent articles — and runs where that state lives.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from typing import Any
from urllib.parse import urlsplit

import ftfy
from ftfy.badness import is_bad

from streams import lang as lang_data
from streams.records import CleanArticle, RawArticle
from streams.stages import boilerplate, dedupe
from streams.stages.boilerplate import LineKey, Sightings
from streams.stages.dedupe import BandIndex
from streams.stages.language import detect_language
from streams.stages.rejected import Rejected

# Typographic quotes and apostrophes folded to ASCII so lexicons and names match one spelling.
QUOTE_MAP = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201a": "'", "\u2032": "'", "\u201c": '"',
                           "\u201d": '"', "\u201e": '"', "\u00ab": '"', "\u00bb": '"', "\u00a0": " "})
FURNITURE_EDGES = " \t-–—•*|·:>"
MAX_TEASER_CHARS = 160
MIN_SENTENCE_WORDS = 8


def repair(text: str) -> str:
    """Undo mojibake ("perchÃ©" -> "perché") when the text shows it; leave good text alone."""
    return ftfy.fix_text(text) if is_bad(text) else text


def normalise_line(line: str) -> str:
    text = unicodedata.normalize("NFC", line).translate(QUOTE_MAP)
    return " ".join(text.split())


@cache
def _boilerplate() -> tuple[frozenset[str], tuple[str, ...], frozenset[str]]:
    """Furniture lines, prefixes and list headers of every supported language (a page may mix them)."""
    lines: set[str] = set()
    prefixes: list[str] = []
    headers: set[str] = set()
    for code in lang_data.supported_languages():
        data = lang_data.load(code)
        lines |= {_furniture_key(x) for x in data["boilerplate_lines"]}
        prefixes += [normalise_line(p).lower() for p in data["boilerplate_prefixes"]]
        headers |= {_furniture_key(x) for x in data["list_headers"]}
    return frozenset(lines), tuple(prefixes), frozenset(headers)


def _furniture_key(line: str) -> str:
    return normalise_line(line).lower().strip(FURNITURE_EDGES)


def is_boilerplate(line: str) -> bool:
    """A furniture line ("- Pubblicità -"), or a short teaser starting like one ("Leggi anche: …"). A line
    that reads as a full sentence is content even when it starts with a furniture word ("Aggiornato il
    bilancio: almeno 12 morti.")."""
    lines, prefixes, _ = _boilerplate()
    key = _furniture_key(line)
    if not key or key in lines:
        return True
    text = normalise_line(line)
    return not reads_as_prose(text) and text.lower().startswith(prefixes)


def ends_like_sentence(text: str) -> bool:
    return text.rstrip('"\')» ').endswith((".", "!", "?", "…"))


def reads_as_prose(text: str) -> bool:
    """A full sentence (ends like one, has some words) or a long line: content, not a teaser or headline."""
    return len(text) > MAX_TEASER_CHARS or (ends_like_sentence(text) and len(text.split()) >= MIN_SENTENCE_WORDS)


def opens_a_list(line: str) -> bool:
    """'Articoli correlati', 'Most read': furniture that is followed by a list of headlines."""
    return _furniture_key(line) in _boilerplate()[2]


def strip_boilerplate(text: str) -> tuple[list[str], int]:
    """Drop furniture lines (each judged alone) and the headline lists that follow a list header ("Articoli
    correlati", "Most read"); join the rest into paragraphs. Returns (paragraphs, lines removed)."""
    paragraphs: list[str] = []
    segment: list[str] = []
    removed = 0
    in_list = False

    def close_segment() -> None:
        nonlocal removed, in_list
        if not segment:
            return
        joined = " ".join(normalise_line(x) for x in segment)
        if in_list and not ends_like_sentence(joined):
            removed += len(segment)  # headlines of a related-articles list
        else:
            paragraphs.append(joined)
            in_list = False
        segment.clear()

    for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        if not line.strip():
            close_segment()
        elif is_boilerplate(line):
            close_segment()  # the furniture line also ends the paragraph around it
            removed += 1
            in_list = in_list or opens_a_list(line)
        else:
            segment.append(line)
    close_segment()
    return [p for p in paragraphs if p], removed


def html_to_text(html: str) -> tuple[str | None, str]:
    """(title, text with one paragraph per line) from a raw page, with trafilatura. The title is the page's
    first <h1> (the headline as printed), else its metadata title."""
    import trafilatura
    from lxml import etree
    from lxml import html as lxml_html

    try:
        tree = lxml_html.fromstring(html)
    except (etree.ParserError, ValueError):
        return None, ""
    headline, page_title = page_titles(tree)
    # What these hold is never the page's text (a fallback, an embedded page, a template), yet the parser keeps
    # it as text: "<iframe>…<script></iframe>" would leave "<script>" in the body.
    etree.strip_elements(tree, "iframe", "noscript", "template", "object", with_tail=False)
    # Metadata off: trafilatura's date parsing costs more than the text extraction; the title comes from the
    # page's own <h1> or <title>.
    doc = trafilatura.bare_extraction(tree, with_metadata=False, include_comments=False, include_tables=False)
    if doc is None:
        return None, ""
    title = headline or page_title
    lines = (getattr(doc, "text", None) or "").split("\n")
    repeated = {normalise_line(t) for t in (headline, page_title) if t}
    if lines and normalise_line(lines[0]) in repeated:
        lines = lines[1:]  # trafilatura keeps the <h1> as the first line of the text
    return title, "\n\n".join(lines)


def page_titles(tree: Any) -> tuple[str | None, str | None]:
    """(first non-empty <h1>, <title>) of a parsed page."""
    headline = next((t for t in (normalise_line(h.text_content()) for h in tree.iter("h1")) if t), None)
    title_node = tree.find(".//title")
    page_title = normalise_line(title_node.text_content()) if title_node is not None else ""
    return headline, page_title or None


def prepare(raw: RawArticle, now: datetime) -> CleanArticle | Rejected:
    """Everything that needs only the article: text out of HTML, mojibake repaired, static furniture out,
    normalised, language detected. `now` stamps ingested_at (passed in, so the function stays pure)."""
    title = raw.title
    if raw.text and raw.text.strip():
        text = raw.text
    else:
        html_title, text = html_to_text(raw.html or "")
        title = title or html_title
    paras, removed = strip_boilerplate(repair(text))
    if not paras:
        return Rejected("no_content", "nothing but page furniture is left after cleaning")
    body = "\n\n".join(paras)
    lang = detect_language(body, raw.lang)
    return CleanArticle(
        id=raw.id, url=raw.url, outlet=raw.outlet, published_at=raw.published_at,
        lang=lang, lang_supported=lang in lang_data.supported_languages(),
        title=normalise_line(repair(title or "")), body=body, duplicate_of=None,
        ingested_at=now.isoformat(), boilerplate_removed=removed, boilerplate_learned=0,
    )


@dataclass(frozen=True)
class CleanConfig:
    learn_min_articles: int = 3  # K: distinct articles of one outlet that make a line furniture
    learn_window_s: float = 14 * 86400
    dedupe_window_s: float = 7 * 86400  # N days: copies of older articles are not flagged
    dedupe_threshold: float = 0.5  # estimated Jaccard of word 5-shingles


@dataclass(frozen=True)
class Finished:
    """The cleaned article and the state writes that go with it."""

    article: CleanArticle
    lines: dict[LineKey, Sightings] = field(default_factory=dict)  # sightings (a cache of `seen` on the stream)
    seen: dict[str, dict[str, Any]] = field(default_factory=dict)
    index_signature: dedupe.Signature | None = None  # set when the article is a new original for the index


def outlet_of(article: CleanArticle) -> str | None:
    if article.outlet and article.outlet.strip():
        return article.outlet.strip().lower()
    if article.url:
        host = urlsplit(article.url).hostname
        return host.removeprefix("www.") if host else None
    return None


def finish(article: CleanArticle, lines: Mapping[LineKey, Sightings], seen: Mapping[str, Mapping[str, Any]],
           index: BandIndex, now: float, config: CleanConfig) -> Finished | Rejected:
    """Learned furniture out, then near-duplicate check. An article id seen before gets exactly the same
    decisions again (idempotent), and a copy teaches no furniture (its lines are the story's, not the outlet's)."""
    paragraphs = article.body.split("\n\n")
    outlet = outlet_of(article)
    previous = seen.get(article.id)
    if previous is not None:
        removed = set(previous.get("removed", []))
    elif outlet:
        removed = boilerplate.learned_hashes(outlet, paragraphs, article.id, lines, now,
                                             config.learn_min_articles, config.learn_window_s)
    else:
        removed = set()
    kept = [p for p in paragraphs if boilerplate.line_hash(p) not in removed]
    if not kept:
        return Rejected("no_content", "nothing but learned furniture of this outlet is left")
    body = "\n\n".join(kept)
    cleaned = _with(article, body=body, boilerplate_learned=len(paragraphs) - len(kept))
    if previous is not None:
        return Finished(_with(cleaned, duplicate_of=previous.get("duplicate_of")))
    sig = dedupe.signature(body)
    recent = _Recent(seen, now, config.dedupe_window_s)
    original = dedupe.find_original(article.id, sig, index, recent, config.dedupe_threshold)
    entry: dict[str, Any] = {"duplicate_of": original, "removed": sorted(removed), "seen_at": now}
    if original is not None:
        return Finished(_with(cleaned, duplicate_of=original), seen={article.id: entry})
    entry["signature"] = sig
    if not outlet:
        return Finished(cleaned, seen={article.id: entry}, index_signature=sig)
    # All its lines count, the removed ones too: an outlet that keeps printing a footer keeps it learned. The entry
    # carries them, so the sightings can be made again from `seen` alone (rebuild_in_steps).
    digests = boilerplate.short_line_hashes(paragraphs)
    entry.update(outlet=outlet, lines=digests)
    learned = boilerplate.record(outlet, digests, article.id, lines, now, config.learn_min_articles,
                                 config.learn_window_s)
    return Finished(cleaned, lines=learned, seen={article.id: entry}, index_signature=sig)


def _with(article: CleanArticle, **changes: Any) -> CleanArticle:
    return CleanArticle(**{**article.asdict(), **changes})


class _Recent(Mapping[str, Mapping[str, Any]]):
    """`seen`, restricted to entries inside the dedupe window (older ones are not originals any more)."""

    def __init__(self, seen: Mapping[str, Mapping[str, Any]], now: float, window_s: float):
        self.seen, self.now, self.window_s = seen, now, window_s

    def __getitem__(self, key: str) -> Mapping[str, Any]:
        entry = self.seen[key]
        if self.now - float(entry.get("seen_at", 0.0)) > self.window_s:
            raise KeyError(key)
        return entry

    def __iter__(self) -> Any:
        return iter(self.seen)

    def __len__(self) -> int:
        return len(self.seen)


def seen_keep_s(config: CleanConfig) -> float:
    """How long an article's `seen` entry is kept: for its copies, and for the lines it taught."""
    return max(config.dedupe_window_s, config.learn_window_s)


def expired_articles(items: list[tuple[str, Mapping[str, Any]]], now: float, keep_s: float) -> list[str]:
    """Article ids seen longer ago than `keep_s` (seen_keep_s): their entries (and index slots) can go."""
    return [key for key, entry in items if now - float(entry.get("seen_at", 0.0)) > keep_s]


def signatures_expired(items: list[tuple[str, Mapping[str, Any]]], now: float,
                       dedupe_window_s: float) -> dict[str, dict[str, Any]]:
    """Entries past the dedupe window that still carry a MinHash signature, without it: no copy can match them
    any more, and the signature is most of an entry kept on for the lines it taught."""
    return {key: {k: v for k, v in entry.items() if k != "signature"} for key, entry in items
            if "signature" in entry and now - float(entry.get("seen_at", 0.0)) > dedupe_window_s}


def to_forget(items: list[tuple[str, Mapping[str, Any]]], now: float,
              config: CleanConfig) -> tuple[set[str], dict[str, dict[str, Any]]]:
    """What a sweep does to these entries: the ids to delete (`expired_articles`), and the entries kept that lose
    their signature (`signatures_expired`) — never one of those deleted."""
    gone = set(expired_articles(items, now, seen_keep_s(config)))
    kept = [(key, entry) for key, entry in items if key not in gone]
    return gone, signatures_expired(kept, now, config.dedupe_window_s)


def rebuild_in_steps(seen: Sequence[tuple[str, Mapping[str, Any]]], index: BandIndex, lines: dict[LineKey, Sightings],
                     config: CleanConfig, step: int) -> Iterator[int]:
    """Make what `finish` looks up — the MinHash index of originals and the outlets' line sightings — again from
    `seen` entries, into an empty `index` and `lines`, `step` entries at a time; yields the number of entries done
    after each step, so the caller can let other work run in between (a worker rebuilding a large table in one go
    would hold its event loop for seconds)."""
    taught = boilerplate.teaching_order(seen)  # a part of seen, so its steps end with seen's
    for start in range(0, len(seen), step):
        dedupe.index_originals(index, seen[start:start + step])
        boilerplate.replay(lines, taught[start:start + step], config.learn_min_articles, config.learn_window_s)
        yield min(start + step, len(seen))


@dataclass
class CleanMemory:
    """What cleaning remembers, held in-process (for `claimstream extract` and tests; the stream keeps the
    same state in Faust tables)."""

    lines: dict[LineKey, Sightings] = field(default_factory=dict)
    seen: dict[str, dict[str, Any]] = field(default_factory=dict)
    index: BandIndex = field(default_factory=dedupe.new_index)

    def apply(self, finished: Finished) -> None:
        self.lines.update(finished.lines)
        self.seen.update(finished.seen)
        if finished.index_signature is not None:
            dedupe.index_add(self.index, finished.article.id, finished.index_signature)


def clean(raw: RawArticle, now: datetime, memory: CleanMemory | None = None,
          config: CleanConfig | None = None) -> CleanArticle | Rejected:
    """prepare + finish against an in-process memory (a fresh one when none is given)."""
    prepared = prepare(raw, now)
    if isinstance(prepared, Rejected):
        return prepared
    memory = memory if memory is not None else CleanMemory()
    done = finish(prepared, memory.lines, memory.seen, memory.index, now.timestamp(), config or CleanConfig())
    if isinstance(done, Rejected):
        return done
    memory.apply(done)
    return done.article
