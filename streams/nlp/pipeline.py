"""Assemble one pipeline per language. Load once per worker; use nlp.pipe over batches."""

from __future__ import annotations

from functools import cache
from typing import Any

import spacy
from spacy.language import Language

import streams.nlp.components  # noqa: F401  (registers the factories)
from streams import lang as lang_data
from streams.actors.registry import Registry, load_registry, name_key
from streams.nlp.lemmas import trimmed_lookups

ACTOR_LABEL = "ACTOR"


def build_pipeline(lang: str, registry: Registry) -> Language:
    """blank(lang) -> paragraphs -> sentencizer -> sentence repair -> lookup lemmatizer -> actor names ->
    cues -> quantities."""
    nlp = spacy.blank(lang)
    nlp.add_pipe("claimstream_paragraphs")
    nlp.add_pipe("sentencizer")
    nlp.add_pipe("claimstream_sentence_repair")
    lemmatizer = nlp.add_pipe("claimstream_lemmatizer", name="lemmatizer")  # spaCy's lookup, over whole Docs
    lemmatizer.initialize(lookups=trimmed_lookups(lang))  # type: ignore[attr-defined]  # see streams.nlp.lemmas
    lemmatizer.initialize = already_initialized  # type: ignore[attr-defined]  # nlp.initialize must not reload it
    ruler = nlp.add_pipe("claimstream_actors", config={"label": ACTOR_LABEL})
    nlp.add_pipe("claimstream_cues")
    nlp.add_pipe("claimstream_quantities")  # after the cues: "altri quattro sono stati feriti" needs them
    nlp.initialize()
    # Entity ids are registry name keys; enrich resolves them to actors as of the article's date.
    exact: dict[str, list[str]] = {}
    for name in registry.exact_names(lang):
        exact.setdefault(name_key(name), []).append(name)
    ruler.add({key: [key] for key in registry.names(lang)}, exact)  # type: ignore[attr-defined]
    return nlp


def already_initialized(get_examples: Any = None, *, nlp: Any = None, lookups: Any = None) -> None:
    """Stands in for Lemmatizer.initialize (same signature: spaCy checks it) once the table is in place."""


@cache
def pipeline_for(lang: str) -> Language:
    """The worker's one pipeline for `lang` (built on first use, then reused)."""
    return build_pipeline(lang, default_registry())


def default_registry() -> Registry:
    return load_registry(lang_data.supported_languages())
