"""enrich(extracted, registry) -> EnrichedArticle: every mention resolved to an actor as of published_at."""

from __future__ import annotations

from datetime import date, datetime

from streams.actors.registry import Registry
from streams.records import EnrichedArticle, ExtractedArticle, ResolvedActor


def article_day(published_at: str | None) -> date | None:
    if not published_at:
        return None
    try:
        return datetime.fromisoformat(published_at).date()
    except ValueError:
        return None


def enrich(extracted: ExtractedArticle, registry: Registry) -> EnrichedArticle:
    article = extracted.article
    as_of = article_day(article.published_at)
    actors = []
    for m in extracted.mentions:
        actor = registry.resolve(m.key, article.lang or "", as_of)
        if actor is None:
            continue  # a name whose holder was not in office then: not this actor
        actors.append(ResolvedActor(start=m.start, end=m.end, text=m.text, id=actor.id, name=actor.name,
                                    kind=actor.kind, country=actor.country))
    return EnrichedArticle(article=article, sentences=extracted.sentences, actors=actors,
                           quantities=extracted.quantities, cues=extracted.cues)
