"""Every topic of the data flow, in one place. Names take the configurable prefix."""

from __future__ import annotations

from streams.settings import Settings

RAW = "articles.raw"
CLEAN = "articles.clean"
EXTRACTED = "articles.extracted"
ENRICHED = "articles.enriched"
CLAIMS = "claims"
CLAIM_LINKS = "claim-links"
ACTOR_AGGREGATES = "actor-aggregates"
DEADLETTER = "deadletter"
# Internal: claims re-keyed by actor id, so each actor's window lives in one partition.
ACTOR_CLAIMS = "actor-claims"

PUBLIC = (RAW, CLEAN, EXTRACTED, ENRICHED, CLAIMS, CLAIM_LINKS, ACTOR_AGGREGATES, DEADLETTER)
INTERNAL = (ACTOR_CLAIMS,)

# Faust table names; their changelog topics are "<app_id>-<table>-changelog".
AGGREGATE_TABLE = "actor-windows"
TABLES = (AGGREGATE_TABLE,)


def changelog_topic(settings: Settings, table: str) -> str:
    return f"{settings.app_id}-{settings.topic(table)}-changelog"


def all_topic_names(settings: Settings) -> list[str]:
    """Every topic the worker reads or writes, prefixed; created up front with one partition count
    (Tansu auto-creates with 4, and a table whose changelog differs crashes its agent)."""
    names = [settings.topic(t) for t in PUBLIC + INTERNAL]
    names += [changelog_topic(settings, t) for t in TABLES]
    return names
