"""Every Prometheus metric of claimstream, module-level. Labels stay bounded: stage, outcome, reason, type,
certainty, lang, since, table, and topic/partition of the worker's own input topics — never an actor, URL or
article id."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

STAGES = ("clean", "extract", "enrich", "claims", "aggregates")
BOILERPLATE_KINDS = ("static", "learned")
OUTCOMES = ("ok", "deadletter", "skipped")

MESSAGES_IN = Counter("claimstream_messages_in_total", "Messages a stage took from its input topic.", ["stage"])
MESSAGES = Counter(
    "claimstream_messages_out_total",
    "Messages a stage finished, by outcome: ok (sent on), deadletter, skipped (a language without rules).",
    ["stage", "outcome"],
)
STAGE_SECONDS = Histogram(
    "claimstream_stage_duration_seconds",
    "Time a stage function spends on one batch of messages.",
    ["stage"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
DEAD_LETTERS = Counter(
    "claimstream_dead_letters_total", "Messages sent to the dead-letter topic.", ["stage", "reason"]
)
CLAIMS = Counter("claimstream_claims_total", "Claim events published.", ["type", "certainty", "lang"])
CLAIM_LATENCY = Histogram(
    "claimstream_claim_latency_seconds",
    "From an article to its claims being published: since=ingest (the worker read it) or published (published_at).",
    ["since"],
    buckets=(0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600, 4 * 3600, 86400, 7 * 86400),
)
CONSUMER_LAG = Gauge(
    "claimstream_consumer_lag_messages",
    "Messages on an input partition this worker owns that its group has not committed yet (end - committed).",
    ["topic", "partition"],
)
REDELIVERED = Counter(
    "claimstream_redelivered_messages_total",
    "Messages delivered a second time within one worker process (around a rebalance): acknowledged, not processed.",
)
READ_AGAIN = Counter(
    "claimstream_partitions_read_again_total",
    "Input partitions read again from their committed offset after messages waited 20 s with none taken.",
)
TABLE_KEYS = Gauge("claimstream_table_keys", "Keys held in a table, on this worker.", ["table"])
CHANGELOG_RECORDS = Counter(
    "claimstream_changelog_records_total",
    "Records written to a table's changelog: one per key and batch (its last value), however often the batch set it.",
    ["table"],
)
BOILERPLATE_LINES = Counter(
    "claimstream_boilerplate_lines_removed_total",
    "Furniture lines removed by clean; type is static (language lists) or learned (per outlet).",
    ["type", "lang"],
)
DUPLICATES = Counter(
    "claimstream_duplicates_total", "Articles flagged as syndicated or near-duplicate copies.", ["lang"]
)
ARTICLES_BY_LANGUAGE = Counter(
    "claimstream_articles_by_language_total", "Cleaned articles by detected language (ISO 639-1).", ["lang"]
)
UNSUPPORTED_LANGUAGE = Counter(
    "claimstream_unsupported_language_articles_total",
    "Articles in a language without lang/<code>.json: passed on flagged, skipped by extraction.",
    ["lang"],
)
AGGREGATES_PUBLISHED = Counter(
    "claimstream_actor_aggregates_published_total", "Actor records published, by window (1h, 24h, 7d).", ["window"]
)


def initialise_labels() -> None:
    """Pre-create the bounded label sets so dashboards see zeros, not gaps."""
    for stage in STAGES:
        STAGE_SECONDS.labels(stage)
        MESSAGES_IN.labels(stage)
        for outcome in OUTCOMES:
            MESSAGES.labels(stage, outcome)
    for since in ("ingest", "published"):
        CLAIM_LATENCY.labels(since)
