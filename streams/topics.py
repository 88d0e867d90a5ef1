"""Every topic of the data flow, in one place. Names take the configurable prefix."""

from __future__ import annotations

from streams.settings import Settings
from streams.stages.aggregates import RECENT_KEEP_S, WINDOW_BY_LABEL, pane_keep_s

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
# Internal: prepared articles for the stateful half of cleaning. ONE partition: near-duplicates are found
# across all outlets, so one place holds the index (the work there is a few hash look-ups per article).
PREPARED = "articles.prepared"

PUBLIC = (RAW, CLEAN, EXTRACTED, ENRICHED, CLAIMS, CLAIM_LINKS, ACTOR_AGGREGATES, DEADLETTER)
INTERNAL = (ACTOR_CLAIMS, PREPARED)
SINGLE_PARTITION = (PREPARED,)

# Faust table names; their changelog topics are "<app_id>-<table>-changelog".
PANE_TABLES = {"1h": "actor-panes-5m", "24h": "actor-panes-1h", "7d": "actor-panes-1d"}  # by window label
LINKS_TABLE = "actor-recent-claims"  # "<actor>|<type>" -> recent claims, for corroboration links
SEEN_TABLE = "clean-seen"  # article id -> duplicate_of, learned lines removed, MinHash signature, its short lines
TABLES = (*PANE_TABLES.values(), LINKS_TABLE, SEEN_TABLE)
SINGLE_PARTITION_TABLES = (SEEN_TABLE,)
# Not a table: "<outlet>|<line hash>" -> recent articles that carried the line, rebuilt from clean-seen (its size
# is reported under this name with the tables').
LINES_CACHE = "clean-lines"


def changelog_topic(settings: Settings, table: str) -> str:
    return f"{settings.app_id}-{settings.topic(table)}-changelog"


def all_topics(settings: Settings) -> dict[str, int]:
    """Every topic the worker reads or writes (prefixed) with its partition count. Created up front: Tansu
    auto-creates with 4, and a table whose changelog has another count than its source crashes its agent."""
    topics = {settings.topic(t): 1 if t in SINGLE_PARTITION else settings.partitions for t in PUBLIC + INTERNAL}
    for table in TABLES:
        topics[changelog_topic(settings, table)] = 1 if table in SINGLE_PARTITION_TABLES else settings.partitions
    return topics


def topic_configs(settings: Settings) -> dict[str, dict[str, str]]:
    """Topic configs (real Kafka; the embedded broker ignores them): every topic takes the largest message the
    worker may send, and changelogs bound what a worker replays on start.

    Changelogs are compacted, so a table replays about one record per live key; the windowed ones also delete
    records older than their windows' expiry, so expired panes go too."""
    size = {"max.message.bytes": str(settings.message_max_bytes)}
    configs = {name: dict(size) for name in all_topics(settings)}
    configs[changelog_topic(settings, SEEN_TABLE)].update({"cleanup.policy": "compact"})
    keep_s = {**{table: pane_keep_s(WINDOW_BY_LABEL[label]) for label, table in PANE_TABLES.items()},
              LINKS_TABLE: RECENT_KEEP_S}
    for table, seconds in keep_s.items():
        configs[changelog_topic(settings, table)].update({"cleanup.policy": "compact,delete",
                                                          "retention.ms": str(seconds * 1000)})
    return configs
