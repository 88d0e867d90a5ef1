"""The lemma lookup entries a worker keeps, picked in a short-lived child process.

Lemmas are read only by the cue patterns matched on lemma, so a worker keeps only the entries whose lemma one of
them needs, and those whose form is such a lemma (so no form falls back to itself and matches wrongly): every
match is the same as with spacy-lookups-data's whole table. Loading the whole Italian table (333,682 forms) to
pick them took ~90 MB, which stayed in the worker's peak memory even once freed; a child process loads it
instead, prints the kept entries and exits.

    python -m streams.nlp.lemmas it      # the kept entries of `it`, as JSON [[form id, lemma], ...]
"""

from __future__ import annotations

import json
import subprocess
import sys

import spacy
from spacy.lookups import Lookups
from spacy.strings import get_string_id

from streams.nlp.components import needed_lemmas  # also registers the pipeline's factories

CHILD_TIMEOUT_S = 300


def kept_entries(lang: str) -> list[tuple[int, str]]:
    """(form id, lemma) of every entry a worker keeps for `lang` (loads the whole table: run it in a child)."""
    nlp = spacy.blank(lang)
    lemmatizer = nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
    lemmatizer.initialize()  # type: ignore[attr-defined]
    needed = needed_lemmas(nlp, lemmatizer)
    needed_forms = {get_string_id(lemma) for lemma in needed}
    table = lemmatizer.lookups.get_table("lemma_lookup")  # type: ignore[attr-defined]
    return [(form, lemma) for form, lemma in table.items() if lemma in needed or form in needed_forms]


def trimmed_lookups(lang: str) -> Lookups:
    """A `lemma_lookup` table of the kept entries, picked by a child process (see the module's docstring)."""
    done = subprocess.run([sys.executable, "-m", "streams.nlp.lemmas", lang], capture_output=True,
                          timeout=CHILD_TIMEOUT_S, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"picking the {lang} lemma entries failed (exit {done.returncode}): "
                           f"{done.stderr.decode(errors='replace')[-2000:]}")
    lookups = Lookups()
    table = lookups.add_table("lemma_lookup")
    for form, lemma in json.loads(done.stdout):
        table[form] = lemma
    return lookups


if __name__ == "__main__":
    sys.stdout.write(json.dumps(kept_entries(sys.argv[1])))
