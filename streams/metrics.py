"""Every Prometheus metric of claimstream, module-level. Labels: stage, outcome, reason, type, lang only."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

STAGES = ("clean", "extract", "enrich", "claims", "aggregates")
OUTCOMES = ("ok", "deadletter", "skipped")

MESSAGES = Counter(
    "claimstream_messages_total", "Messages handled by a stage, by outcome.", ["stage", "outcome"]
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
CLAIMS = Counter("claimstream_claims_total", "Claim events published.", ["type", "lang"])
BOILERPLATE_LINES = Counter(
    "claimstream_boilerplate_lines_removed_total", "Boilerplate lines removed by clean.", ["lang"]
)


def initialise_labels() -> None:
    """Pre-create the bounded label sets so dashboards see zeros, not gaps."""
    for stage in STAGES:
        STAGE_SECONDS.labels(stage)
        for outcome in OUTCOMES:
            MESSAGES.labels(stage, outcome)
