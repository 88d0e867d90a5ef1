"""Per-actor windowed counts as pure functions: which actors a claim counts for, how a window's state
takes a claim (idempotently, by claim id), and the record published for a window."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from typing import Any

from streams.records import ActorAggregate, Claim

WindowState = dict[str, dict[str, str]]  # claim_id -> {"type", "certainty", "article_id"}


def actor_keys(claim: Claim) -> list[str]:
    """Every actor of the claim and its source's country. A syndicated copy counts for nobody."""
    if claim.duplicate_of:
        return []
    keys = [str(a["id"]) for a in claim.actors]
    if claim.source and claim.source.get("country"):
        keys.append(str(claim.source["country"]))
    return list(dict.fromkeys(keys))


def event_time(claim: Claim, fallback: float) -> float:
    """published_at as epoch seconds; the ingest time when the article has none."""
    published = claim.provenance.get("published_at")
    if published:
        try:
            moment = datetime.fromisoformat(str(published))
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=UTC)
            return moment.timestamp()
        except ValueError:
            pass
    return fallback


def actor_claim(actor_id: str, claim: Claim) -> dict[str, Any]:
    """The small event the aggregator needs (sent keyed by actor id)."""
    return {"actor_id": actor_id, "claim_id": claim.claim_id, "type": claim.type,
            "certainty": claim.certainty, "article_id": claim.article_id}


def add_claim(state: WindowState, event: dict[str, Any]) -> tuple[WindowState, bool]:
    """The window's state with the claim in it, and whether it changed (False for a redelivery)."""
    if event["claim_id"] in state:
        return state, False
    new = dict(state)
    new[event["claim_id"]] = {"type": event["type"], "certainty": event["certainty"],
                              "article_id": event["article_id"]}
    return new, True


def window_bounds(timestamp: float, size_s: int) -> tuple[float, float]:
    start = timestamp - (timestamp % size_s)
    return start, start + size_s


def summarize(actor_id: str, state: WindowState, window: tuple[float, float], now: datetime) -> ActorAggregate:
    entries = list(state.values())
    return ActorAggregate(
        actor_id=actor_id,
        window_start=_iso(window[0]), window_end=_iso(window[1]),
        claims=len(entries),
        articles=len({e["article_id"] for e in entries}),
        by_type=dict(Counter(e["type"] for e in entries)),
        by_certainty=dict(Counter(e["certainty"] for e in entries)),
        updated_at=now.isoformat(),
    )


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, tz=UTC).isoformat()
