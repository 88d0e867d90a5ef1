"""streams/stages/dedupe.py: MinHash signatures of word 5-shingles, the LSH index of originals, and the choice of
the earliest original a copy points at; plus the dedupe window as clean() applies it."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest

from streams.records import CleanArticle, RawArticle
from streams.stages import dedupe
from streams.stages.clean import (
    CleanConfig,
    CleanMemory,
    clean,
    expired_articles,
    seen_keep_s,
    signatures_expired,
    to_forget,
)

CORPUS = Path(__file__).resolve().parents[1] / "data" / "clean"
MANIFEST: list[dict[str, Any]] = orjson.loads((CORPUS / "manifest.json").read_bytes())["pages"]
T0 = datetime(2025, 3, 10, 8, 0, tzinfo=UTC)

# A wire story, as an agency sends it.
WIRE_IT = [
    "BRUXELLES – I ministri dell'Energia dei Ventisette hanno raggiunto nella notte un accordo sul tetto al "
    "prezzo del gas, dopo quasi dieci ore di trattative. Il meccanismo scatterà quando il prezzo di riferimento "
    "supererà i 180 euro al megawattora per tre giorni consecutivi.",
    "Secondo la presidenza di turno, l'intesa è stata approvata a maggioranza qualificata, con il voto contrario "
    "dell'Ungheria e l'astensione dei Paesi Bassi e dell'Austria. La Germania, che fino all'ultimo aveva chiesto "
    "garanzie sulla sicurezza degli approvvigionamenti, ha dato il suo via libera in cambio di una clausola di "
    "sospensione automatica.",
    "\"È un segnale chiaro ai mercati e alle famiglie\", ha dichiarato il ministro italiano dell'Ambiente e della "
    "Sicurezza energetica, che ha parlato di un risultato ottenuto grazie al lavoro di mesi. La Commissione "
    "presenterà entro due settimane il regolamento attuativo.",
    "Il tetto resterà in vigore per un anno e potrà essere rinnovato. Gli operatori del settore temono però che "
    "un prezzo amministrato spinga i fornitori di gas naturale liquefatto verso i mercati asiatici, dove i "
    "prezzi restano più alti.",
]
# The same story as another outlet runs it: a reworded opening, the last sentence dropped.
WIRE_IT_COPY = [
    "BRUXELLES – I ministri dell'Energia dell'Unione europea hanno raggiunto nella notte un accordo sul tetto al "
    "prezzo del gas, dopo quasi dieci ore di trattative. Il meccanismo scatterà quando il prezzo di riferimento "
    "supererà i 180 euro al megawattora per tre giorni consecutivi.",
    WIRE_IT[1],
    WIRE_IT[2],
    "Il tetto resterà in vigore per un anno e potrà essere rinnovato.",
]
# A different story from the same region and week: must never be taken for a copy.
OTHER_IT = [
    "COMO – La navigazione sul lago tornerà a pieno regime da lunedì, dopo tre settimane di corse ridotte a "
    "causa dei lavori al pontile di Bellagio. Lo ha annunciato la società di gestione, che ha pubblicato il "
    "nuovo orario sul proprio sito.",
    "I battelli riprenderanno a fermarsi anche a Varenna e Menaggio ogni mezz'ora nelle ore di punta. Gli "
    "albergatori della zona avevano lamentato un calo delle prenotazioni durante il periodo dei cantieri.",
    "Il sindaco di Bellagio ha ringraziato i tecnici per aver chiuso i lavori con una settimana di anticipo. "
    "Resta invece chiuso fino a maggio l'imbarcadero di Tremezzo, dove il fondale deve essere ancora dragato.",
]
EN_STORY = [
    "ROTTERDAM – Dock workers at Europe's largest port walked out on Monday in a dispute over automation, halting "
    "container traffic at three of the main terminals. The strike is expected to last at least 48 hours.",
    "The union said the operator had broken a promise to consult staff before introducing remote-controlled "
    "cranes. The company said the new equipment would not cost any jobs and called the walkout irresponsible.",
    "Shipping lines began diverting vessels to Antwerp and Hamburg within hours. Analysts warned that a longer "
    "stoppage could add to delays already caused by low water levels on the Rhine.",
]


def expected_body(name: str) -> str:
    _, _, body = (CORPUS / "expected" / f"{name}.txt").read_text(encoding="utf-8").partition("\n\n")
    return body.strip()


def sig_of(paragraphs: list[str]) -> dedupe.Signature:
    return dedupe.signature("\n\n".join(paragraphs))


def entry(sig: dedupe.Signature, seen_at: float, duplicate_of: str | None = None) -> dict[str, Any]:
    return {"signature": sig, "seen_at": seen_at, "duplicate_of": duplicate_of, "removed": []}


# --- signature / similarity ------------------------------------------------------------------------------------


def test_signature_is_deterministic_and_num_perm_long() -> None:
    body = "\n\n".join(WIRE_IT)
    first, second = dedupe.signature(body), dedupe.signature(body)
    assert first == second
    assert isinstance(first, str)
    values = dedupe.values_of(first)
    assert len(values) == dedupe.NUM_PERM and int(values.max()) < 2**32
    assert dedupe.pack(values) == first


def test_a_packed_signature_is_smaller_than_the_list_of_ints_in_memory_and_in_json() -> None:
    sig = sig_of(WIRE_IT)
    as_list = [int(v) for v in dedupe.values_of(sig)]
    assert len(orjson.dumps(sig)) < len(orjson.dumps(as_list)) * 0.7  # minima are small numbers: ~860 bytes
    assert sys.getsizeof(sig) < (sys.getsizeof(as_list) + sum(map(sys.getsizeof, as_list))) / 5


def test_signature_is_the_same_in_another_process() -> None:
    """Signatures are stored in a table and compared by other workers: they must not depend on the process."""
    body = "\n\n".join(EN_STORY)
    code = ("import json, sys; from streams.stages import dedupe; "
            "print(json.dumps(dedupe.signature(sys.stdin.read())))")
    out = subprocess.run([sys.executable, "-c", code], input=body, capture_output=True, text=True, check=True,
                         cwd=Path(__file__).resolve().parents[2])
    assert orjson.loads(out.stdout) == dedupe.signature(body)


def test_signature_ignores_case_and_punctuation() -> None:
    body = "\n\n".join(EN_STORY)
    shouted = body.upper().replace(",", "").replace(".", " ;")
    assert dedupe.signature(shouted) == dedupe.signature(body)


def test_similarity_of_identical_bodies_is_one() -> None:
    sig = sig_of(WIRE_IT)
    assert dedupe.similarity(sig, dedupe.values_of(sig).tolist()) == 1.0  # packed or a list alike


def test_similarity_of_an_edited_copy_is_high_and_of_another_story_low() -> None:
    assert dedupe.similarity(sig_of(WIRE_IT), sig_of(WIRE_IT_COPY)) > 0.5
    assert dedupe.similarity(sig_of(WIRE_IT), sig_of(OTHER_IT)) < 0.2
    assert dedupe.similarity(sig_of(WIRE_IT), sig_of(EN_STORY)) < 0.2


SYNDICATED = [(p["duplicate_of"], p["file"]) for p in MANIFEST if p["duplicate_of"]]
SAME_EVENT = [(p["same_event_as"], p["file"]) for p in MANIFEST if p["same_event_as"]]
UNRELATED = [("it-gas-stoccaggi.txt", "it-tregua-sudan.txt"), ("en-romania-runoff.txt", "it-elezioni-moldova.html"),
             ("en-power-grid-ukraine.html", "en-odesa-port-strike.html"),
             ("en-sanctions-iran-oil.html", "it-nucleare-iran.html"),
             ("en-quake-anatolia.html", "en-caucasus-peace.txt")]


def test_corpus_has_the_pairs_these_tests_rely_on() -> None:
    assert len(SYNDICATED) >= 3
    assert ("en-odesa-port-strike.html", "en-odesa-port-attack.txt") in SAME_EVENT


@pytest.mark.parametrize(("original", "copy"), SYNDICATED, ids=lambda name: name)
def test_syndicated_corpus_pairs_are_similar(original: str, copy: str) -> None:
    score = dedupe.similarity(dedupe.signature(expected_body(original)), dedupe.signature(expected_body(copy)))
    assert score > 0.5


@pytest.mark.parametrize(("a", "b"), SAME_EVENT + UNRELATED, ids=lambda name: name)
def test_same_event_and_unrelated_corpus_pages_are_not_similar(a: str, b: str) -> None:
    score = dedupe.similarity(dedupe.signature(expected_body(a)), dedupe.signature(expected_body(b)))
    assert score < 0.2


def test_similarity_of_mismatched_or_empty_signatures_is_zero() -> None:
    sig = sig_of(WIRE_IT)
    assert dedupe.similarity(sig, dedupe.pack(dedupe.values_of(sig)[:50])) == 0.0
    assert dedupe.similarity("", "") == 0.0


@pytest.mark.parametrize("body", ["", "   \n\n  ", "— … —"])
def test_a_body_without_words_has_no_signature_and_is_nobodys_copy(body: str) -> None:
    sig = dedupe.signature(body)
    assert sig == ""
    assert dedupe.similarity(sig, sig) == 0.0
    index = dedupe.new_index()
    dedupe.index_add(index, "empty", sig)
    assert "empty" not in index.keys
    assert dedupe.find_original("other", sig, index, {"empty": entry(sig, 1.0)}, 0.5) is None


@pytest.mark.parametrize("body", ["Breaking", "Breaking news", "Quattro parole soltanto qui"])
def test_tiny_bodies_do_not_crash(body: str) -> None:
    sig = dedupe.signature(body)
    assert len(dedupe.values_of(sig)) == dedupe.NUM_PERM
    assert dedupe.similarity(sig, sig) == 1.0
    assert dedupe.similarity(sig, sig_of(WIRE_IT)) < 0.2
    index = dedupe.new_index()
    dedupe.index_add(index, "tiny", sig)
    assert dedupe.find_original("other", sig, index, {"tiny": entry(sig, 1.0)}, 0.5) in (None, "tiny")
    assert dedupe.find_original("tiny", sig, index, {"tiny": entry(sig, 1.0)}, 0.5) is None


def test_different_one_word_bodies_are_not_similar() -> None:
    assert dedupe.similarity(dedupe.signature("Breaking"), dedupe.signature("Ultimora")) < 0.2


# --- index and find_original -----------------------------------------------------------------------------------


def test_find_original_finds_the_earlier_copy_through_the_index() -> None:
    index = dedupe.new_index()
    original = sig_of(WIRE_IT)
    dedupe.index_add(index, "agenzia-1", original)
    dedupe.index_add(index, "lago-7", sig_of(OTHER_IT))
    seen = {"agenzia-1": entry(original, 100.0), "lago-7": entry(sig_of(OTHER_IT), 50.0)}
    assert dedupe.find_original("valle-3", sig_of(WIRE_IT_COPY), index, seen, 0.5) == "agenzia-1"
    assert dedupe.find_original("valle-4", sig_of(EN_STORY), index, seen, 0.5) is None


def test_find_original_never_returns_the_article_itself() -> None:
    index = dedupe.new_index()
    sig = sig_of(WIRE_IT)
    dedupe.index_add(index, "agenzia-1", sig)
    assert dedupe.find_original("agenzia-1", sig, index, {"agenzia-1": entry(sig, 100.0)}, 0.5) is None


def test_find_original_ignores_candidates_below_the_threshold() -> None:
    index = dedupe.new_index()
    original, copy = sig_of(WIRE_IT), sig_of(WIRE_IT_COPY)
    dedupe.index_add(index, "agenzia-1", original)
    seen = {"agenzia-1": entry(original, 100.0)}
    score = dedupe.similarity(original, copy)
    assert 0.5 < score < 1.0
    assert dedupe.find_original("valle-3", copy, index, seen, score) == "agenzia-1"
    assert dedupe.find_original("valle-3", copy, index, seen, score + 0.01) is None


def test_find_original_ignores_indexed_articles_missing_from_seen() -> None:
    index = dedupe.new_index()
    sig = sig_of(WIRE_IT)
    dedupe.index_add(index, "agenzia-1", sig)
    assert dedupe.find_original("valle-3", sig, index, {}, 0.5) is None
    assert dedupe.find_original("valle-3", sig, index, {"agenzia-1": {"seen_at": 1.0}}, 0.5) is None


@pytest.mark.parametrize("order", [("early", "late"), ("late", "early")])
def test_find_original_picks_the_earliest_seen_original(order: tuple[str, str]) -> None:
    """Two originals of one story (both indexed, e.g. across a restart): the copy points at the earliest seen."""
    original, copy = sig_of(WIRE_IT), sig_of(WIRE_IT_COPY)
    seen = {"late": entry(copy, 2_000.0), "early": entry(original, 1_000.0)}
    index = dedupe.new_index()
    for article_id in order:
        dedupe.index_add(index, article_id, seen[article_id]["signature"])
    assert dedupe.find_original("copy-9", copy, index, seen, 0.5) == "early"


def test_the_band_index_finds_the_candidates_datasketchs_lsh_finds() -> None:
    from datasketch import MinHash, MinHashLSH  # the library's index, as the worker used it until the eleventh session

    def minhash(sig: dedupe.Signature) -> MinHash:
        return MinHash(num_perm=dedupe.NUM_PERM, hashvalues=dedupe.values_of(sig), scheme=dedupe.SCHEME)

    bodies = {p["file"]: expected_body(p["file"]) for p in MANIFEST}
    sigs = {name: dedupe.signature(body) for name, body in bodies.items() if body}
    ours, theirs = dedupe.new_index(), MinHashLSH(num_perm=dedupe.NUM_PERM, params=(dedupe.BANDS, dedupe.ROWS))
    for name, sig in sigs.items():
        dedupe.index_add(ours, name, sig)
        theirs.insert(name, minhash(sig))
    found = {name: ours.query(sig) for name, sig in sigs.items()}
    assert any(len(candidates) > 1 for candidates in found.values())  # copies among them: shared bands
    assert found == {name: set(theirs.query(minhash(sig))) for name, sig in sigs.items()}


def test_removing_an_article_from_the_band_index_keeps_the_others_of_its_bands() -> None:
    index = dedupe.new_index()
    sig = sig_of(WIRE_IT)
    for article_id in ("a", "b", "c"):
        dedupe.index_add(index, article_id, sig)
    dedupe.index_add(index, "other", sig_of(EN_STORY))
    assert index.query(sig) == {"a", "b", "c"}
    dedupe.index_remove(index, "b")
    assert index.query(sig) == {"a", "c"}
    dedupe.index_remove(index, "a")
    assert index.query(sig) == {"c"}
    dedupe.index_remove(index, "c")
    dedupe.index_remove(index, "c")  # twice: nothing to do
    assert index.query(sig) == set() and set(index.keys) == {"other"}
    assert sum(map(len, index.tables)) == dedupe.BANDS  # only the other story's bands are left


def test_rebuild_index_indexes_originals_only() -> None:
    original, copy, other = sig_of(WIRE_IT), sig_of(WIRE_IT_COPY), sig_of(OTHER_IT)
    seen = {
        "agenzia-1": entry(original, 100.0),
        "valle-3": entry(copy, 200.0, duplicate_of="agenzia-1"),  # a copy, even one that kept its signature
        "lago-7": entry(other, 300.0),
        "no-sig": {"seen_at": 400.0, "duplicate_of": None, "removed": []},
    }
    index = dedupe.index_originals(dedupe.new_index(), seen.items())
    assert "agenzia-1" in index.keys and "lago-7" in index.keys
    assert "valle-3" not in index.keys and "no-sig" not in index.keys
    assert dedupe.find_original("valle-5", copy, index, seen, 0.5) == "agenzia-1"
    # only the copy carries this story: rebuilt without it, the story has no original
    only_copy = {"valle-3": entry(copy, 200.0, duplicate_of="agenzia-1")}
    index_of_copy = dedupe.index_originals(dedupe.new_index(), only_copy.items())
    assert dedupe.find_original("valle-5", copy, index_of_copy, only_copy, 0.5) is None


def test_index_remove_makes_an_article_unfindable() -> None:
    index = dedupe.new_index()
    sig = sig_of(WIRE_IT)
    seen = {"agenzia-1": entry(sig, 100.0)}
    dedupe.index_add(index, "agenzia-1", sig)
    assert dedupe.find_original("valle-3", sig, index, seen, 0.5) == "agenzia-1"
    dedupe.index_remove(index, "agenzia-1")
    assert "agenzia-1" not in index.keys
    assert dedupe.find_original("valle-3", sig, index, seen, 0.5) is None


def test_index_add_and_remove_are_idempotent() -> None:
    index = dedupe.new_index()
    sig = sig_of(WIRE_IT)
    dedupe.index_add(index, "agenzia-1", sig)
    dedupe.index_add(index, "agenzia-1", sig)
    dedupe.index_remove(index, "agenzia-1")
    dedupe.index_remove(index, "agenzia-1")
    dedupe.index_remove(index, "never-added")
    assert "agenzia-1" not in index.keys


# --- through clean(): copies flagged, the window ---------------------------------------------------------------


def raw(article_id: str, paragraphs: list[str], outlet: str) -> RawArticle:
    return RawArticle(id=article_id, outlet=outlet, title="Gas, accordo Ue sul tetto al prezzo", lang="it",
                      text="\n\n".join(paragraphs))


def cleaned(article_id: str, paragraphs: list[str], outlet: str, now: datetime, memory: CleanMemory) -> CleanArticle:
    result = clean(raw(article_id, paragraphs, outlet), now, memory, CleanConfig())
    assert isinstance(result, CleanArticle), result
    return result


def test_clean_flags_a_syndicated_copy_and_not_the_original_or_another_story() -> None:
    memory = CleanMemory()
    assert cleaned("agenzia-1", WIRE_IT, "agenzianord.example", T0, memory).duplicate_of is None
    later = T0 + timedelta(hours=2)
    assert cleaned("valle-3", WIRE_IT_COPY, "lavocedellavalle.example", later, memory).duplicate_of == "agenzia-1"
    assert cleaned("lago-7", OTHER_IT, "corrieredellago.example", later, memory).duplicate_of is None
    assert "valle-3" not in memory.index.keys  # copies are not originals
    assert "agenzia-1" in memory.index.keys and "lago-7" in memory.index.keys


def test_copy_after_the_dedupe_window_is_not_flagged_and_becomes_an_original() -> None:
    window = timedelta(seconds=CleanConfig().dedupe_window_s)
    assert window == timedelta(days=7)
    memory = CleanMemory()
    cleaned("agenzia-1", WIRE_IT, "agenzianord.example", T0, memory)
    inside = cleaned("valle-3", WIRE_IT_COPY, "lavocedellavalle.example", T0 + timedelta(days=6), memory)
    assert inside.duplicate_of == "agenzia-1"
    outside = cleaned("lago-9", WIRE_IT_COPY, "corrieredellago.example", T0 + timedelta(days=8), memory)
    assert outside.duplicate_of is None
    again = cleaned("gazzetta-2", WIRE_IT, "gazzettadelporto.example", T0 + timedelta(days=9), memory)
    assert again.duplicate_of == "lago-9"


def test_entries_written_with_the_old_list_signatures_still_find_their_copies() -> None:
    """Before signatures were packed, an entry held them as a list of ints: a table written then still works."""
    memory = CleanMemory()
    cleaned("agenzia-1", WIRE_IT, "agenzianord.example", T0, memory)
    old = {key: {**entry, "signature": [int(v) for v in dedupe.values_of(entry["signature"])]}
           for key, entry in memory.seen.items()}
    index = dedupe.index_originals(dedupe.new_index(), old.items())
    assert "agenzia-1" in index.keys
    copy = sig_of(WIRE_IT_COPY)
    assert dedupe.find_original("valle-5", copy, index, old, 0.5) == "agenzia-1"
    assert dedupe.similarity(copy, old["agenzia-1"]["signature"]) == dedupe.similarity(
        copy, memory.seen["agenzia-1"]["signature"])


# --- how long an article's entry is kept --------------------------------------------------------------------------


def test_entries_are_kept_for_the_longer_window_and_lose_their_signature_after_the_dedupe_window() -> None:
    config = CleanConfig(dedupe_window_s=7 * 86400, learn_window_s=14 * 86400)
    assert seen_keep_s(config) == 14 * 86400
    now = 30 * 86400.0
    items: list[tuple[str, Mapping[str, Any]]] = [
        ("fresh", {"seen_at": now - 86400, "signature": [1, 2], "lines": ["a"]}),
        ("past-dedupe", {"seen_at": now - 8 * 86400, "signature": [1, 2], "lines": ["a"], "outlet": "x"}),
        ("stripped", {"seen_at": now - 9 * 86400, "lines": ["a"]}),
        ("copy", {"seen_at": now - 8 * 86400, "duplicate_of": "fresh"}),
        ("old", {"seen_at": now - 15 * 86400, "signature": [1, 2]}),
    ]
    assert expired_articles(items, now, seen_keep_s(config)) == ["old"]
    kept = [(key, entry) for key, entry in items if key != "old"]
    assert signatures_expired(kept, now, config.dedupe_window_s) == {
        "past-dedupe": {"seen_at": now - 8 * 86400, "lines": ["a"], "outlet": "x"}}
    gone, stripped = to_forget(items, now, config)  # what a sweep does: "old" goes, and is not written back
    assert gone == {"old"} and stripped == signatures_expired(kept, now, config.dedupe_window_s)


def test_an_entry_without_its_signature_is_no_original_after_a_rebuild() -> None:
    memory = CleanMemory()
    cleaned("agenzia-1", WIRE_IT, "agenzianord.example", T0, memory)
    later = (T0 + timedelta(days=8)).timestamp()
    stripped = {**dict(memory.seen), **signatures_expired(list(memory.seen.items()), later, 7 * 86400)}
    assert "signature" not in stripped["agenzia-1"] and stripped["agenzia-1"]["outlet"] == "agenzianord.example"
    assert "agenzia-1" not in dedupe.index_originals(dedupe.new_index(), stripped.items()).keys
