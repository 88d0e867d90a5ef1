"""Rolling per-actor aggregates as pure functions.

A window is the sum of its panes: tumbling buckets of 5 min, 1 h and 1 d hold what happened in them, and the
1 h (step 5 min), 24 h (step 1 h) and 7 d (step 1 d) hopping windows are summed from 12, 24 and 7 panes when they
are read or published — 3 table writes per actor per claim instead of the 43 a hopping table would make.

A pane counts a claim once: it keeps the ids of the claims it counted (apply_to_pane), so a redelivery, a replay
or the same claim produced again is skipped pane by pane. count_in reads, counts and writes back through a
PaneStore: the agent's Faust tables, or a dict in the benchmark and the tests.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from streams.records import ActorAggregate, Claim, ClaimLink

Pane = dict[str, Any]


@dataclass(frozen=True)
class WindowSpec:
    label: str
    size_s: int
    step_s: int  # = the pane size

    @property
    def panes(self) -> int:
        return self.size_s // self.step_s


WINDOWS = (WindowSpec("1h", 3600, 300), WindowSpec("24h", 86400, 3600), WindowSpec("7d", 7 * 86400, 86400))
WINDOW_BY_LABEL = {w.label: w for w in WINDOWS}
LATENESS_S = 3600  # how late (event time) a claim may arrive and still count in a window
DAY_S = 86400


def pane_keep_s(spec: WindowSpec) -> int:
    """How long a pane is kept: the window it belongs to, one more step, and the lateness allowed."""
    return spec.size_s + spec.step_s + LATENESS_S


RECENT_KEEP_S = pane_keep_s(WINDOWS[-1])  # recent claims, for links: as long as day panes
LINK_TOLERANCE = 0.05  # two figures within 5 % of each other agree
LINKED_SOURCES = 3  # a new claim is linked to the latest claim of at most this many other sources
RECENT_CLAIMS_KEPT = 20  # per actor, claim type and day, for links


def source_key(claim: Mapping[str, Any]) -> str:
    """Who vouches for a claim: its source, else the outlet that asserted it, else the article."""
    source = claim.get("source") or {}
    provenance = claim.get("provenance") or {}
    return str(source.get("id") or source.get("name") or provenance.get("outlet") or claim.get("article_id"))


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
    at = epoch_seconds(claim.provenance.get("published_at"))
    return fallback if at is None else at


def epoch_seconds(stamp: object) -> float | None:
    """An ISO 8601 timestamp as epoch seconds (UTC when it has no offset); None when absent or unreadable."""
    if not stamp:
        return None
    try:
        moment = datetime.fromisoformat(str(stamp))
    except ValueError:
        return None
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()


def actor_claim(actor_id: str, claim: Claim, at: float) -> dict[str, Any]:
    """The small event the aggregator needs (sent keyed by actor id, stamped with event time `at`)."""
    data = claim.to_representation()
    quantity = claim.quantity or None
    return {"actor_id": actor_id, "claim_id": claim.claim_id, "type": claim.type, "certainty": claim.certainty,
            "article_id": claim.article_id, "source": source_key(data),
            "source_name": (claim.source or {}).get("name"), "at": at, "duplicate_of": claim.duplicate_of,
            "quantity": {"unit": quantity["unit"], "value": quantity["value"]} if quantity else None}


ACTOR_FIELDS = ("actor_id", "at")  # an actor event's own fields; every other field of actor_claim is per claim


def actor_events(claims: Sequence[Claim], now: float) -> list[dict[str, Any]]:
    """An article's claims as the aggregator takes them: one event per actor (and event time), in first-seen order,
    holding what it needs of each of the actor's claims (actor_claim without the actor and time). Sent keyed by
    actor id and stamped with `at`: one message per actor instead of one per actor and claim."""
    grouped: dict[tuple[str, float], list[dict[str, Any]]] = {}
    for claim in claims:
        at = event_time(claim, now)
        for actor_id in actor_keys(claim):
            item = actor_claim(actor_id, claim, at)
            grouped.setdefault((actor_id, at), []).append({k: v for k, v in item.items() if k not in ACTOR_FIELDS})
    return [{"actor_id": actor_id, "at": at, "claims": items} for (actor_id, at), items in grouped.items()]


def claims_of(event: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The per-claim events (as actor_claim builds them) an actor event holds."""
    return [{"actor_id": event["actor_id"], "at": event["at"], **item} for item in event["claims"]]


def pane_start(at: float, step_s: int) -> float:
    return at - (at % step_s)


def pane_starts(at: float) -> dict[str, float]:
    """The start of the pane holding `at`, per window label (what a table keyed by pane would look up)."""
    return {spec.label: pane_start(at, spec.step_s) for spec in WINDOWS}


def apply_to_pane(pane: Pane, event: Mapping[str, Any]) -> Pane | None:
    """The pane with the event in it, or None when the pane has counted this claim already.

    Each pane keeps the ids of the claims it counted, so counting is idempotent pane by pane, whatever the order
    events come in: a redelivery, a replay, a copy re-sent, or (seen with Faust around rebalances) events held
    back past later ones until a restart. An offset-based rule cannot survive that last case."""
    pane = pane or {}
    ids = pane.get("ids", [])
    if holds(ids, event["claim_id"]):
        return None
    new: Pane = {
        "ids": inserted(ids, event["claim_id"]),
        "claims": int(pane.get("claims", 0)) + 1,
        "articles": inserted(pane.get("articles", []), event["article_id"]),
        "sources": inserted(pane.get("sources", []), event["source"]),
        "by_type": _plus_one(pane.get("by_type", {}), event["type"]),
        "by_certainty": _plus_one(pane.get("by_certainty", {}), event["certainty"]),
        "quantities": _with_quantity(pane.get("quantities", {}), event),
    }
    return new


# A pane's lists are kept sorted: a busy actor's day pane holds thousands of claim ids, so each event costs a
# binary search, not a sort or a scan.

def holds(ordered: Sequence[str], item: str) -> bool:
    at = bisect_left(ordered, item)
    return at < len(ordered) and ordered[at] == item


def inserted(ordered: Sequence[str], item: str) -> list[str]:
    """A copy of the sorted list with `item` in its place (a copy as it was when it holds it already)."""
    at = bisect_left(ordered, item)
    if at < len(ordered) and ordered[at] == item:
        return list(ordered)
    return [*ordered[:at], item, *ordered[at:]]


def _plus_one(counts: Mapping[str, int], key: str) -> dict[str, int]:
    out = dict(counts)
    out[key] = out.get(key, 0) + 1
    return out


def _with_quantity(quantities: Mapping[str, Any], event: Mapping[str, Any]) -> dict[str, Any]:
    out = {k: dict(v) for k, v in quantities.items()}
    q = event.get("quantity")
    if not q:
        return out
    key = f"{event['type']}|{q['unit']}"
    point = {"value": q["value"], "source": event.get("source_name") or event["source"], "at": event["at"]}
    current = out.get(key)
    out[key] = _extremes([point] if current is None else [current["min"], current["max"], current["latest"], point])
    return out


def _extremes(points: list[dict[str, Any]]) -> dict[str, Any]:
    """min, max and latest with one total order, so panes merge to the same answer in any order."""
    return {
        "min": min(points, key=lambda p: (p["value"], p["at"], str(p["source"]))),
        "max": max(points, key=lambda p: (p["value"], -p["at"], str(p["source"]))),
        "latest": max(points, key=lambda p: (p["at"], str(p["source"]), p["value"])),
    }


def merge(panes: Iterable[Pane]) -> Pane:
    """A window from its panes."""
    total: Pane = {"claims": 0, "articles": set(), "sources": set(), "by_type": Counter(),
                   "by_certainty": Counter(), "quantities": {}}
    for pane in panes:
        if not pane:
            continue
        total["claims"] += int(pane.get("claims", 0))
        total["articles"] |= set(pane.get("articles", []))
        total["sources"] |= set(pane.get("sources", []))
        total["by_type"].update(pane.get("by_type", {}))
        total["by_certainty"].update(pane.get("by_certainty", {}))
        for key, q in pane.get("quantities", {}).items():
            current = total["quantities"].get(key)
            points = [q["min"], q["max"], q["latest"]] + ([] if current is None else
                                                          [current["min"], current["max"], current["latest"]])
            total["quantities"][key] = _extremes(points)
    return total


def window_panes(spec: WindowSpec, end: float) -> list[float]:
    """Starts of the panes of the window that ends with the pane holding `end`."""
    last = pane_start(end, spec.step_s)
    return [last - i * spec.step_s for i in range(spec.panes)][::-1]


def record(actor_id: str, spec: WindowSpec, end: float, window: Pane, now: datetime) -> ActorAggregate:
    first = window_panes(spec, end)[0]
    quantities = {key: {part: {"value": p["value"], "source": p["source"]} for part, p in q.items()}
                  for key, q in sorted(window["quantities"].items())}
    return ActorAggregate(
        actor_id=actor_id, window=spec.label,
        window_start=_iso(first), window_end=_iso(pane_start(end, spec.step_s) + spec.step_s),
        claims=int(window["claims"]), articles=len(window["articles"]), sources=len(window["sources"]),
        by_type=dict(sorted(window["by_type"].items())), by_certainty=dict(sorted(window["by_certainty"].items())),
        quantities=quantities, updated_at=now.isoformat(),
    )


def recompute(claims: Iterable[Mapping[str, Any]], spec: WindowSpec, end_by_actor: Mapping[str, float] | None = None
              ) -> dict[str, Pane]:
    """The same windows straight from claim events (each claim id once, copies excluded): what the tables must
    hold. Windows end at each actor's latest claim, or at `end_by_actor`."""
    events: dict[tuple[str, str], dict[str, Any]] = {}
    for data in claims:
        claim = Claim.from_data(dict(data))
        for actor in actor_keys(claim):
            at = event_time(claim, 0.0)
            events.setdefault((actor, claim.claim_id), actor_claim(actor, claim, at))
    latest: dict[str, float] = {}
    for (actor, _), e in events.items():
        latest[actor] = max(latest.get(actor, e["at"]), e["at"])
    ends = dict(end_by_actor or latest)
    out: dict[str, Pane] = {}
    for actor, end in ends.items():
        starts = set(window_panes(spec, end))
        panes: list[Pane] = []
        for (a, _), e in events.items():
            pane = apply_to_pane({}, e) if a == actor and pane_start(e["at"], spec.step_s) in starts else None
            if pane is not None:
                panes.append(pane)
        out[actor] = merge(panes)
    return out


def remember(entries: list[dict[str, Any]], event: Mapping[str, Any], keep: int) -> list[dict[str, Any]] | None:
    """Recent claims of an actor and type, for links: the event added (None when already there)."""
    if any(e["claim_id"] == event["claim_id"] for e in entries):
        return None
    entry = {"claim_id": event["claim_id"], "article_id": event["article_id"], "source": event["source"],
             "quantity": event.get("quantity"), "at": event["at"]}
    return (entries + [entry])[-keep:] if keep > 0 else []


def links_for(actor_id: str, claim_type: str, event: Mapping[str, Any], recent: Iterable[Mapping[str, Any]],
              tolerance: float = LINK_TOLERANCE, max_sources: int = LINKED_SOURCES) -> list[ClaimLink]:
    """Corroborates / conflicts links between a new claim and recent claims of the same actor and type from
    other articles and other sources (copies never reach here: they count for no actor): the latest claim of
    each other source, for the `max_sources` latest sources. Every pair would be a flood on a busy actor (seen:
    16 links per claim on wire copy, 140 possible per claim), and the latest word of a source is its position."""
    links: list[ClaimLink] = []
    linked_sources: set[str] = set()
    for other in sorted(recent, key=lambda e: (-float(e["at"]), str(e["claim_id"]))):
        if len(linked_sources) >= max_sources:
            break
        if other["claim_id"] == event["claim_id"] or other["article_id"] == event["article_id"]:
            continue
        if other["source"] == event["source"] or other["source"] in linked_sources:
            continue
        relation = _relation(event.get("quantity"), other.get("quantity"), tolerance)
        if relation is None:
            continue
        pair = sorted([other, dict(event)], key=lambda e: e["claim_id"])
        links.append(ClaimLink(
            link_id=f"{actor_id}:{pair[0]['claim_id']}:{pair[1]['claim_id']}", relation=relation,
            actor_id=actor_id, type=claim_type, claim_ids=[p["claim_id"] for p in pair],
            article_ids=[p["article_id"] for p in pair], sources=[p["source"] for p in pair],
            values=[(p.get("quantity") or {}).get("value") for p in pair],
        ))
        linked_sources.add(str(other["source"]))
    return links


@dataclass(frozen=True)
class Counted:
    """What one actor-claim event changes: the panes to write, the `recent` entry to write (None: unchanged), the
    links it makes, and whether the actor's records need publishing."""

    panes: dict[str, Pane]
    recent: list[dict[str, Any]] | None
    links: list[ClaimLink]
    changed: bool


def count(event: Mapping[str, Any], panes: Mapping[str, Pane], recent_here: list[dict[str, Any]],
          recent_week: list[dict[str, Any]], keep: int) -> Counted:
    """Apply one actor-claim event. `panes` is the event's pane per window label, `recent_here` the recent claims
    of the event's day and `recent_week` those of the last 7 days. A claim every pane has counted already (the same
    claim again: redelivered, replayed, re-sent) changes nothing; one a crash left in some panes only is added to
    the others."""
    updated = {label: new for label, pane in panes.items() if (new := apply_to_pane(pane, event)) is not None}
    if not updated:
        return Counted({}, None, [], False)
    kept = remember(recent_here, event, keep)
    links = links_for(str(event["actor_id"]), str(event["type"]), event, recent_week) if kept is not None else []
    return Counted(updated, kept, links, True)


def _relation(a: Mapping[str, Any] | None, b: Mapping[str, Any] | None, tolerance: float) -> str | None:
    """corroborates when the figures agree (or neither has one), conflicts when they differ, None when they
    count different things."""
    if not a or not b:
        return "corroborates" if not a and not b else None
    if a["unit"] != b["unit"]:
        return None
    va, vb = float(a["value"]), float(b["value"])
    scale = max(abs(va), abs(vb), 1e-9)
    return "corroborates" if abs(va - vb) / scale <= tolerance else "conflicts"


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, tz=UTC).isoformat()


RECENT = "recent"  # the store's table of recent claims per "actor|type" and day (the pane tables go by window label)


class PaneStore(Protocol):
    """What count_in reads and writes: a value by table (a window label or RECENT), key and pane start."""

    def get(self, table: str, key: str, start: float) -> Any: ...

    def set(self, table: str, key: str, start: float, value: Any) -> None: ...


class DictStore:
    """A PaneStore on a dict (the in-process benchmark and the tests)."""

    def __init__(self) -> None:
        self.values: dict[tuple[str, str, float], Any] = {}

    def get(self, table: str, key: str, start: float) -> Any:
        return self.values.get((table, key, start))

    def set(self, table: str, key: str, start: float, value: Any) -> None:
        self.values[(table, key, start)] = value


def count_in(event: Mapping[str, Any], store: PaneStore, keep: int = RECENT_CLAIMS_KEPT) -> Counted:
    """Apply one actor-claim event to the panes and recent claims `store` holds: read them, count, write back."""
    actor, at = str(event["actor_id"]), float(event["at"])
    recent_key = f"{actor}|{event['type']}"
    starts, day = pane_starts(at), pane_start(at, DAY_S)
    week = window_panes(WINDOW_BY_LABEL["7d"], at)
    counted = count(
        event,
        panes={label: store.get(label, actor, start) or {} for label, start in starts.items()},
        recent_here=list(store.get(RECENT, recent_key, day) or []),
        recent_week=[e for d in week for e in store.get(RECENT, recent_key, d) or []],
        keep=keep,
    )
    for label, pane in counted.panes.items():
        store.set(label, actor, starts[label], pane)
    if counted.recent is not None:
        store.set(RECENT, recent_key, day, counted.recent)
    return counted
