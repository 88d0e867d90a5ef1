"""extract(clean, nlp) -> ExtractedArticle: sentences, actor mentions, quantities and cues, as offsets
into the cleaned body. The spaCy pipeline is passed in (built once per worker)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from spacy.language import Language
from spacy.tokens import Doc

from streams.records import CleanArticle, Cue, ExtractedArticle, Mention, Quantity, Span
from streams.stages.rejected import Rejected

PipelineFor = Callable[[str], Language]
# "SEUL – ", "BRUSSELS (Reuters) - ": the wire dateline opening a paragraph names where it was filed, not an actor.
DATELINE = re.compile(r"(?m)^[A-ZÀ-Ý][A-ZÀ-Ý'. ]{1,40}(?:\s*\([^)\n]{1,40}\))?\s+[-–—]\s")


def datelines(body: str) -> list[Cue]:
    return [Cue(kind="dateline", label="dateline", start=m.start(), end=m.end(), text=m.group(0))
            for m in DATELINE.finditer(body)]


def from_doc(article: CleanArticle, doc: Doc) -> ExtractedArticle:
    sentences = []
    for sent in doc.sents:
        text = sent.text
        start = sent.start_char + (len(text) - len(text.lstrip()))
        end = sent.start_char + len(text.rstrip())
        if end > start:
            sentences.append(Span(start=start, end=end))
    mentions = [Mention(start=e.start_char, end=e.end_char, text=e.text, key=e.ent_id_) for e in doc.ents]
    quantities = [Quantity(**q) for q in (doc._.quantities or [])]
    cues = []
    for span in doc.spans.get("cues", []):
        kind, _, label = span.label_.partition(":")
        cues.append(Cue(kind=kind, label=label, start=span.start_char, end=span.end_char, text=span.text))
    cues += datelines(article.body)
    return ExtractedArticle(article=article, sentences=sentences, mentions=mentions, quantities=quantities, cues=cues)


def unsupported(article: CleanArticle) -> Rejected | None:
    """Why the stream cannot extract from this article (its language has no rules), or None when it can."""
    if article.lang_supported:
        return None
    return Rejected("unsupported_language",
                    f"detected language {article.lang!r} has no streams/lang/{article.lang}.json")


def empty(article: CleanArticle) -> ExtractedArticle:
    """Unsupported language: passed on, flagged by the article's lang_supported, nothing extracted."""
    return ExtractedArticle(article=article, sentences=[], mentions=[], quantities=[], cues=[])


def extract(article: CleanArticle, pipeline_for: PipelineFor) -> ExtractedArticle:
    return extract_batch([article], pipeline_for)[0]


def extract_batch(articles: Iterable[CleanArticle], pipeline_for: PipelineFor) -> list[ExtractedArticle]:
    """One nlp.pipe per language over the batch; results in input order."""
    items = list(articles)
    results: list[ExtractedArticle | None] = [None] * len(items)
    by_lang: dict[str, list[int]] = {}
    for i, article in enumerate(items):
        if article.lang_supported and article.lang:
            by_lang.setdefault(article.lang, []).append(i)
        else:
            results[i] = empty(article)
    for lang, indexes in by_lang.items():
        nlp = pipeline_for(lang)
        for i, doc in zip(indexes, nlp.pipe(items[i].body for i in indexes), strict=True):
            results[i] = from_doc(items[i], doc)
    return [r for r in results if r is not None]
