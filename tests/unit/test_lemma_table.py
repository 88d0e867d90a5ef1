"""streams.nlp.lemmas: the workers keep only the lemma lookup entries the cue patterns can match (picked in a child
process), and every form matches exactly as it would with spacy-lookups-data's whole table."""

from __future__ import annotations

import pytest
import spacy
import spacy_lookups_data
from spacy.util import load_language_data

import streams.nlp.components  # noqa: F401  (registers the factories)
from streams.nlp.components import needed_lemmas
from streams.nlp.lemmas import kept_entries
from streams.nlp.pipeline import pipeline_for


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


def test_the_kept_entries_are_the_needed_lemmas_and_forms_that_are_lemmas() -> None:
    nlp = spacy.blank("it")
    whole = nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
    whole.initialize()  # type: ignore[attr-defined]
    needed = needed_lemmas(nlp, whole)
    kept = dict(kept_entries("it"))
    assert {"dichiarare", "uccidere"} <= needed  # speech verb, claim type
    assert kept[nlp.vocab.strings["dichiarato"]] == "dichiarare"
    assert all(lemma in needed or nlp.vocab.strings[form] in needed for form, lemma in kept.items()
               if form in nlp.vocab.strings)
    assert 1000 < len(kept) < 20_000  # of 333,682


def test_the_pipeline_holds_the_kept_entries_only() -> None:
    """The pipeline's table came from the child process: a fraction of the whole one."""
    table = pipeline_for("it").get_pipe("lemmatizer").lookups.get_table("lemma_lookup")  # type: ignore[attr-defined]
    assert 1000 < len(table) < 20_000
