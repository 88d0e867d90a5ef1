"""The whole chain without Kafka, for `claimstream extract`: the same stage functions as the agents."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson

from streams import codecs
from streams.nlp.pipeline import default_registry, pipeline_for
from streams.records import Claim, CleanArticle
from streams.stages.claims import claims
from streams.stages.clean import CleanConfig, CleanMemory, clean
from streams.stages.enrich import enrich
from streams.stages.extract import extract_batch
from streams.stages.rejected import Rejected


@dataclass(frozen=True)
class Outcome:
    origin: str
    claims: list[Claim]
    rejected: Rejected | None = None


def process(articles: Iterable[tuple[str, dict[str, Any]]], max_bytes: int, config: CleanConfig | None = None,
            batch_size: int = 32) -> Iterator[Outcome]:
    """(origin, raw article dict) in, one Outcome per article out, in order; batches feed nlp.pipe.
    Cleaning remembers across the run, as the stream does: learned furniture, syndicated copies."""
    pending: list[tuple[str, CleanArticle]] = []
    registry = default_registry()
    memory = CleanMemory()
    for origin, data in articles:
        raw = codecs.decode_raw_article(orjson.dumps(data), max_bytes)
        cleaned = raw if isinstance(raw, Rejected) else clean(raw, datetime.now(UTC), memory, config)
        if isinstance(cleaned, Rejected):
            yield from _flush(pending, registry)
            pending = []
            yield Outcome(origin, [], cleaned)
            continue
        pending.append((origin, cleaned))
        if len(pending) >= batch_size:
            yield from _flush(pending, registry)
            pending = []
    yield from _flush(pending, registry)


def _flush(pending: list[tuple[str, CleanArticle]], registry: Any) -> Iterator[Outcome]:
    if not pending:
        return
    extracted = extract_batch([a for _, a in pending], pipeline_for)
    for (origin, _), ex in zip(pending, extracted, strict=True):
        yield Outcome(origin, claims(enrich(ex, registry)))
