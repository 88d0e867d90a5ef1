"""Assemble one pipeline per language. Load once per worker; use nlp.pipe over batches."""

from __future__ import annotations

import contextlib
import ctypes
import gc
import json
from functools import cache
from typing import Any

import spacy
from spacy.language import Language

import streams.nlp.components  # noqa: F401  (registers the factories)
from streams import lang as lang_data
from streams.actors.registry import Registry, load_registry, name_key
from streams.nlp.components import needed_lemmas

ACTOR_LABEL = "ACTOR"


def build_pipeline(lang: str, registry: Registry) -> Language:
    """blank(lang) -> paragraphs -> sentencizer -> sentence repair -> lookup lemmatizer -> actor EntityRuler ->
    cues -> quantities."""
    nlp = spacy.blank(lang)
    nlp.add_pipe("claimstream_paragraphs")
    nlp.add_pipe("sentencizer")
    nlp.add_pipe("claimstream_sentence_repair")
    lemmatizer = nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
    lemmatizer.initialize()  # type: ignore[attr-defined]  # spacy-lookups-data's whole table for `lang`
    keep_only_needed_lemmas(lemmatizer, needed_lemmas(nlp, lemmatizer))  # before anything else is allocated
    lemmatizer.initialize = already_initialized  # type: ignore[attr-defined]  # nlp.initialize must not reload it
    ruler = nlp.add_pipe("entity_ruler", config={"phrase_matcher_attr": "LOWER", "validate": False})
    nlp.add_pipe("claimstream_cues")
    nlp.add_pipe("claimstream_quantities")  # after the cues: "altri quattro sono stati feriti" needs them
    nlp.initialize()
    # Pattern ids are registry name keys; enrich resolves them to actors as of the article's date.
    patterns: list[dict[str, Any]] = [{"label": ACTOR_LABEL, "pattern": key, "id": key} for key in registry.names(lang)]
    for name in registry.exact_names(lang):
        tokens = [{"ORTH": t.text} for t in nlp.make_doc(name)]
        patterns.append({"label": ACTOR_LABEL, "pattern": tokens, "id": name_key(name)})
    ruler.add_patterns(patterns)  # type: ignore[attr-defined]
    return nlp


def already_initialized(get_examples: Any = None, *, nlp: Any = None, lookups: Any = None) -> None:
    """Stands in for Lemmatizer.initialize (same signature: spaCy checks it) once the table is in place."""


def keep_only_needed_lemmas(lemmatizer: Any, needed: set[str]) -> int:
    """Lemmas are read only by the cue patterns matched on lemma: keep the lookup entries whose lemma one of them
    needs, and those whose form is such a lemma (so no form falls back to itself and matches wrongly). Every match
    is the same as with the whole table; the Italian one (333,682 forms) took ~100 MB of each worker. Done right
    after the table is loaded, so the memory it held goes back. Returns how many entries are kept."""
    from spacy.lookups import Table
    from spacy.strings import get_string_id

    table = lemmatizer.lookups.get_table("lemma_lookup")
    needed_forms = {get_string_id(lemma) for lemma in needed}
    # Kept as bytes while the whole table is freed: a kept string would pin the memory block it shares with
    # thousands of dropped ones (measured: 66 MB stayed when the kept entries were moved to a new table).
    packed = json.dumps([[form, lemma] for form, lemma in table.items() if lemma in needed or form in needed_forms])
    lemmatizer.lookups.remove_table("lemma_lookup")
    del table
    gc.collect()
    with contextlib.suppress(OSError, AttributeError):  # glibc: hand the freed pages back to the system
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    kept = Table(name="lemma_lookup")
    for form, lemma in json.loads(packed):
        kept[form] = lemma
    lemmatizer.lookups.set_table("lemma_lookup", kept)
    return len(kept)


@cache
def pipeline_for(lang: str) -> Language:
    """The worker's one pipeline for `lang` (built on first use, then reused)."""
    return build_pipeline(lang, default_registry())


def default_registry() -> Registry:
    return load_registry(lang_data.supported_languages())
