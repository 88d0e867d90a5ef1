"""streams.nlp.pipeline.keep_only_needed_lemmas: the workers keep only the lemma lookup entries the cue patterns
can match, and every form matches exactly as it would with spacy-lookups-data's whole table."""

from __future__ import annotations

import pytest
import spacy
import spacy_lookups_data
from spacy.util import load_language_data

import streams.nlp.components  # noqa: F401  (registers the factories)
from streams.nlp.components import needed_lemmas
from streams.nlp.pipeline import keep_only_needed_lemmas, pipeline_for


@pytest.mark.parametrize("lang", ["it", "en"])
def test_every_form_matches_as_with_the_whole_table(lang: str) -> None:
    nlp = spacy.blank(lang)
    whole = nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
    whole.initialize()  # type: ignore[attr-defined]
    table = whole.lookups.get_table("lemma_lookup")  # type: ignore[attr-defined]
    needed = needed_lemmas(nlp, whole)
    source = load_language_data(getattr(spacy_lookups_data, lang)["lemma_lookup"])  # the forms, as strings
    forms = sorted(source)[::5] + sorted(needed)  # a fifth of all forms, and every needed lemma as a form
    full = {form: table.get(form, form) for form in forms}
    assert sum(full[f] in needed for f in forms) > 100  # the sample holds forms that do match
    trimmed = pipeline_for(lang).get_pipe("lemmatizer").lookups.get_table("lemma_lookup")  # type: ignore[attr-defined]
    assert len(trimmed) < len(table) / 10 or lang == "en"
    for form in forms:
        mine = trimmed.get(form, form)
        assert (full[form] in needed) == (mine in needed), form
        if full[form] in needed:
            assert mine == full[form], form


def test_trimming_keeps_needed_lemmas_and_forms_that_are_lemmas() -> None:
    nlp = spacy.blank("it")
    lemmatizer = nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
    lemmatizer.initialize()  # type: ignore[attr-defined]
    kept = keep_only_needed_lemmas(lemmatizer, {"schierare"})
    table = lemmatizer.lookups.get_table("lemma_lookup")  # type: ignore[attr-defined]
    assert kept == len(table) > 1
    assert table.get("schierate") == "schierare" and table.get("truppe") is None
