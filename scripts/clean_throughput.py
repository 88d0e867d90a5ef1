"""Cleaning throughput next to the spaCy tokenizer's on the same pages (one process, one core, one run).

Usage: .venv/bin/python scripts/clean_throughput.py [ROUNDS]

(a) spaCy blank tokenizer + sentencizer over the cleaned bodies: the ceiling of any stage that reads the text;
(b) prepare(): HTML extraction, furniture lists, normalisation, language detection — the stateless half;
(c) prepare() + finish(): plus learned furniture and the MinHash near-duplicate check;
(d) for scale, the next stage: extract() (the full spaCy pipeline with the rule components) on the same text.
Pages: the cleaning corpus (tests/data/clean/pages) and the bundled samples, each round with fresh ids.
"""

from __future__ import annotations

import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import orjson
import spacy

from streams import codecs
from streams.nlp.pipeline import pipeline_for
from streams.records import RawArticle
from streams.sources import expand, read
from streams.stages.clean import CleanConfig, CleanMemory, finish, prepare
from streams.stages.extract import extract_batch
from streams.stages.rejected import Rejected

ROOT = Path(__file__).resolve().parents[1]


def pages() -> list[RawArticle]:
    out = []
    for path in expand([str(ROOT / "tests" / "data" / "clean" / "pages"), str(ROOT / "streams" / "samples")]):
        for item in read(path):
            if item.article:
                raw = codecs.decode_raw_article(orjson.dumps(item.article), 2_000_000)
                if not isinstance(raw, Rejected):
                    out.append(raw)
    return out


def main(rounds: int) -> None:
    base = pages()
    now = datetime.now(UTC)
    batch = [RawArticle(**{**r.asdict(), "id": f"{r.id}#{n}"}) for n in range(rounds) for r in base]
    prepared = [p for p in (prepare(r, now) for r in base) if not isinstance(p, Rejected)]  # warm-up
    nlp = {lang: spacy.blank(lang) for lang in ("it", "en")}
    for model in nlp.values():
        model.add_pipe("sentencizer")
    bodies = [(p.lang or "en", p.body) for p in prepared] * rounds
    chars = sum(len(b) for _, b in bodies)

    started = time.perf_counter()
    for lang, body in bodies:
        nlp[lang](body)
    tokenizer_s = time.perf_counter() - started

    started = time.perf_counter()
    results = [prepare(r, now) for r in batch]
    prepare_s = time.perf_counter() - started

    memory, config = CleanMemory(), CleanConfig()
    started = time.perf_counter()
    for article in results:
        if isinstance(article, Rejected):
            continue
        done = finish(article, memory.lines, memory.seen, memory.index, now.timestamp(), config)
        if not isinstance(done, Rejected):
            memory.apply(done)
    finish_s = time.perf_counter() - started

    cleaned = [a for a in results if not isinstance(a, Rejected)]
    extract_batch(cleaned[:10], pipeline_for)  # build the pipelines before timing
    started = time.perf_counter()
    extract_batch(cleaned, pipeline_for)
    extract_s = time.perf_counter() - started

    n = len(batch)
    print(f"{n} articles ({len(base)} pages x {rounds}), {chars / 1e6:.2f} M characters of clean text")
    print(f"(a) spaCy tokenizer + sentencizer : {n / tokenizer_s:8.1f} articles/s")
    print(f"(b) prepare                       : {n / prepare_s:8.1f} articles/s  ({tokenizer_s / prepare_s:.2f} x a)")
    print(f"(c) prepare + finish              : {n / (prepare_s + finish_s):8.1f} articles/s  "
          f"({tokenizer_s / (prepare_s + finish_s):.2f} x a)")
    print(f"(d) extract (for scale)           : {len(cleaned) / extract_s:8.1f} articles/s  "
          f"({tokenizer_s / extract_s:.2f} x a)")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 20)
