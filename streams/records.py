"""Every record on the wire. Each mirrors one JSON Schema in schemas/ (the contract)."""

from __future__ import annotations

from typing import Any, ClassVar

import faust


class Record(faust.Record, abstract=True, include_metadata=False, serializer="json"):
    schema: ClassVar[str]


class RawArticle(Record):
    schema = "raw-article.schema.json"
    id: str
    url: str | None = None
    outlet: str | None = None
    published_at: str | None = None
    lang: str | None = None
    title: str | None = None
    text: str | None = None
    html: str | None = None


class CleanArticle(Record):
    schema = "clean-article.schema.json"
    id: str
    url: str | None
    outlet: str | None
    published_at: str | None
    lang: str | None
    lang_supported: bool
    title: str
    body: str
    duplicate_of: str | None
    ingested_at: str
    boilerplate_removed: int
    boilerplate_learned: int


class Span(Record):
    start: int
    end: int


class Mention(Record):
    start: int
    end: int
    text: str
    key: str


class Quantity(Record):
    start: int
    end: int
    text: str
    value: float
    unit: str
    qualifier: str


class Cue(Record):
    kind: str
    label: str
    start: int
    end: int
    text: str


class ExtractedArticle(Record):
    schema = "extracted-article.schema.json"
    article: CleanArticle
    sentences: list[Span]
    mentions: list[Mention]
    quantities: list[Quantity]
    cues: list[Cue]


class ResolvedActor(Record):
    start: int
    end: int
    text: str
    id: str
    name: str
    kind: str
    country: str | None


class EnrichedArticle(Record):
    schema = "enriched-article.schema.json"
    article: CleanArticle
    sentences: list[Span]
    actors: list[ResolvedActor]
    quantities: list[Quantity]
    cues: list[Cue]


class Claim(Record):
    schema = "claim.schema.json"
    claim_id: str
    article_id: str
    lang: str
    text: str
    span: list[int]
    type: str
    actors: list[dict[str, Any]]
    quantity: dict[str, Any] | None
    source: dict[str, Any] | None
    certainty: str
    time: dict[str, Any] | None
    duplicate_of: str | None
    provenance: dict[str, Any]


class ClaimLink(Record):
    schema = "claim-link.schema.json"
    link_id: str
    relation: str
    actor_id: str
    type: str
    claim_ids: list[str]
    article_ids: list[str]
    sources: list[str | None]
    values: list[float | None]


class ActorClaims(Record):
    """Internal: what the aggregator needs of one article's claims about one actor (built by
    aggregates.actor_events; each item of `claims` is aggregates.actor_claim without the actor and the time)."""

    schema = "actor-claims.schema.json"
    actor_id: str
    at: float
    claims: list[dict[str, Any]]


class ActorAggregate(Record):
    schema = "actor-aggregate.schema.json"
    actor_id: str
    window: str
    window_start: str
    window_end: str
    claims: int
    articles: int
    sources: int
    by_type: dict[str, int]
    by_certainty: dict[str, int]
    quantities: dict[str, Any]
    updated_at: str


class DeadLetter(Record):
    schema = "deadletter.schema.json"
    reason: str
    detail: str
    stage: str
    origin_topic: str
    origin_partition: int
    origin_offset: int
    payload: str
    payload_encoding: str


# The record on each public topic, for the contract test and for `claimstream tail`.
RECORD_FOR_TOPIC: dict[str, type[Record]] = {
    "articles.raw": RawArticle,
    "articles.clean": CleanArticle,
    "articles.extracted": ExtractedArticle,
    "articles.enriched": EnrichedArticle,
    "claims": Claim,
    "claim-links": ClaimLink,
    "actor-aggregates": ActorAggregate,
    "deadletter": DeadLetter,
    "articles.prepared": CleanArticle,  # internal
    "actor-claims": ActorClaims,  # internal
}
