"""streams/stages/aggregates.py: which actors a claim counts for, panes, windows, records, recompute, links.

No broker and no app: the stream is simulated with the same pure functions the aggregate agent calls
(actor_claim -> aggregates.count_in on a dict, as agents.count_claim on the tables), and must
agree with recompute(), the reference computed straight from the claim events.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pytest

from streams import codecs
from streams.records import Claim, ClaimLink
from streams.stages.aggregates import (
    RECENT,
    WINDOW_BY_LABEL,
    WINDOWS,
    DictStore,
    Pane,
    WindowSpec,
    actor_claim,
    actor_events,
    actor_keys,
    apply_to_pane,
    claims_of,
    count,
    count_in,
    event_time,
    links_for,
    merge,
    recompute,
    record,
    remember,
    source_key,
    window_panes,
)

T = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)  # a Monday noon; every time below is relative to it
NOW = T + timedelta(minutes=7, seconds=30)
MINUTE, HOUR, DAY = 60, 3600, 86400
H1, H24, D7 = WINDOW_BY_LABEL["1h"], WINDOW_BY_LABEL["24h"], WINDOW_BY_LABEL["7d"]

JCS = {"id": "kor-jcs", "name": "Joint Chiefs of Staff", "kind": "organization", "country": "KOR",
       "verb": "secondo"}
TASS = {"id": "tass", "name": "TASS", "kind": "media", "country": "RUS", "verb": "told"}
KREMLIN = {"id": "kremlin", "name": "Kremlin", "kind": "organization", "country": "RUS", "verb": "said"}
OFFICIAL = {"id": None, "name": "a senior official", "kind": "unnamed", "country": None, "verb": "said"}
KIM = {"id": "kim-jong-un", "name": "Kim Jong Un", "kind": "person", "country": "PRK", "role": "agent"}


def ts(moment: datetime) -> float:
    return moment.timestamp()


def zulu(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def country(iso3: str, role: str = "agent") -> dict[str, Any]:
    return {"id": iso3, "name": iso3.title(), "kind": "country", "country": iso3, "role": role}


def soldiers(value: float, unit: str = "soldiers", qualifier: str = "approx") -> dict[str, Any]:
    return {"value": value, "unit": unit, "qualifier": qualifier}


def make_claim(
    claim_id: str = "claim-0001",
    article_id: str = "it-corea-truppe.txt",
    *,
    type_: str = "deployment",
    certainty: str = "hedged",
    actors: list[dict[str, Any]] | None = None,
    quantity: dict[str, Any] | None = None,
    source: dict[str, Any] | None = None,
    duplicate_of: str | None = None,
    published_at: str | None = None,
    outlet: str | None = "agenzia.example",
) -> Claim:
    claim = Claim(
        claim_id=claim_id, article_id=article_id, lang="it",
        text="Sembra che la Corea del Nord abbia inviato almeno 3.000 soldati in Russia.",
        span=[0, 74], type=type_,
        actors=[country("PRK"), country("RUS", "location")] if actors is None else actors,
        quantity=quantity, source=source, certainty=certainty,
        time=None, duplicate_of=duplicate_of,
        provenance={"outlet": outlet, "url": f"https://{outlet}/{article_id}" if outlet else None,
                    "published_at": published_at},
    )
    errors = codecs.schema_errors(Claim.schema, orjson.loads(codecs.encode(claim)))
    assert errors == [], errors  # every claim built here is a valid claim event
    return claim


def data(claim: Claim) -> dict[str, Any]:
    """The claim as it is on the `claims` topic."""
    loaded: dict[str, Any] = orjson.loads(codecs.encode(claim))
    return loaded


def event(actor_id: str, claim: Claim, at: float) -> dict[str, Any]:
    """The actor-claim event as the aggregate agent reads it (through the wire)."""
    loaded: dict[str, Any] = orjson.loads(codecs.encode(actor_claim(actor_id, claim, at)))
    return loaded


def pane_of(*events: dict[str, Any]) -> Pane:
    pane: Pane = {}
    for e in events:
        applied = apply_to_pane(pane, e)
        assert applied is not None
        pane = applied
    return pane


def aggregate_errors(rec: Any) -> list[str]:
    return codecs.schema_errors("actor-aggregate.schema.json", orjson.loads(codecs.encode(rec)))


def link_errors(link: ClaimLink) -> list[str]:
    return codecs.schema_errors("claim-link.schema.json", orjson.loads(codecs.encode(link)))


# --- actor_keys -----------------------------------------------------------------------------------------------


def test_actor_keys_are_the_actors_then_the_source_country() -> None:
    assert actor_keys(make_claim()) == ["PRK", "RUS"]
    assert actor_keys(make_claim(source=JCS)) == ["PRK", "RUS", "KOR"]


def test_actor_keys_are_deduplicated_in_first_seen_order() -> None:
    claim = make_claim(actors=[country("RUS"), country("PRK", "target"), country("RUS", "location")], source=TASS)
    assert actor_keys(claim) == ["RUS", "PRK"]


def test_actor_keys_person_under_its_own_id_and_source_without_country_adds_nothing() -> None:
    assert actor_keys(make_claim(actors=[KIM], source=OFFICIAL)) == ["kim-jong-un"]
    assert actor_keys(make_claim(actors=[], source=JCS)) == ["KOR"]
    assert actor_keys(make_claim(actors=[])) == []


def test_actor_keys_of_a_syndicated_copy_are_empty() -> None:
    assert actor_keys(make_claim(source=JCS, duplicate_of="ansa-corea.txt")) == []


# --- event_time -----------------------------------------------------------------------------------------------

FALLBACK = 1_700_000_000.0


@pytest.mark.parametrize(("published_at", "expected"), [
    ("2026-11-23T10:00:00Z", ts(datetime(2026, 11, 23, 10, 0, tzinfo=UTC))),
    ("2026-11-23T11:00:00+01:00", ts(datetime(2026, 11, 23, 10, 0, tzinfo=UTC))),
    ("2026-11-23T05:30:00-04:30", ts(datetime(2026, 11, 23, 10, 0, tzinfo=UTC))),
    ("2026-11-23T10:00:00", ts(datetime(2026, 11, 23, 10, 0, tzinfo=UTC))),  # naive: UTC
    ("2026-11-23T10:00:00.250Z", ts(datetime(2026, 11, 23, 10, 0, tzinfo=UTC)) + 0.25),
    (None, FALLBACK),
    ("", FALLBACK),
    ("ieri sera", FALLBACK),
    ("2026-13-45T10:00:00Z", FALLBACK),
])
def test_event_time(published_at: str | None, expected: float) -> None:
    assert event_time(make_claim(published_at=published_at), FALLBACK) == pytest.approx(expected, abs=1e-6)


# --- source_key -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("source", "outlet", "expected"), [
    (JCS, "agenzia.example", "kor-jcs"),
    (OFFICIAL, "agenzia.example", "a senior official"),
    (None, "agenzia.example", "agenzia.example"),
    (None, None, "it-corea-truppe.txt"),
])
def test_source_key(source: dict[str, Any] | None, outlet: str | None, expected: str) -> None:
    assert source_key(data(make_claim(source=source, outlet=outlet))) == expected


def test_actor_claim_is_the_small_event_the_aggregator_needs() -> None:
    claim = make_claim("claim-0042", "x.txt", type_="casualties", certainty="attributed",
                       quantity=soldiers(4000, qualifier="approx"), source=JCS)
    assert actor_claim("PRK", claim, 123.0) == {
        "actor_id": "PRK", "claim_id": "claim-0042", "type": "casualties", "certainty": "attributed",
        "article_id": "x.txt", "source": "kor-jcs", "source_name": "Joint Chiefs of Staff", "at": 123.0,
        "duplicate_of": None, "quantity": {"unit": "soldiers", "value": 4000},
    }
    bare = actor_claim("PRK", make_claim(outlet=None), 5.0)
    assert bare["quantity"] is None and bare["source_name"] is None and bare["source"] == "it-corea-truppe.txt"


def test_an_articles_claims_make_one_event_per_actor_holding_that_actors_claims() -> None:
    first = make_claim("claim-0001", "a1", source=JCS, published_at="2026-11-23T12:00:00+00:00")
    second = make_claim("claim-0002", "a1", actors=[country("PRK")], published_at="2026-11-23T12:00:00+00:00")
    syndicated = make_claim("claim-0003", "a1", duplicate_of="claim-0900", published_at="2026-11-23T12:00:00+00:00")
    events = actor_events([first, second, syndicated], now=5.0)
    assert [(e["actor_id"], [c["claim_id"] for c in e["claims"]]) for e in events] == [
        ("PRK", ["claim-0001", "claim-0002"]), ("RUS", ["claim-0001"]), ("KOR", ["claim-0001"])]
    assert {e["at"] for e in events} == {ts(T)}
    for e in events:  # nothing but the wire format: the aggregator reads what it would have read one by one
        assert codecs.schema_errors("actor-claims.schema.json", orjson.loads(codecs.encode(e))) == []
    # Expanded, an event is exactly the per-claim events the aggregator counts.
    expanded = [c for e in events for c in claims_of(e)]
    assert sorted(expanded, key=lambda c: (c["actor_id"], c["claim_id"])) == sorted(
        [actor_claim(a, claim, ts(T)) for claim in (first, second) for a in actor_keys(claim)],
        key=lambda c: (c["actor_id"], c["claim_id"]))


def test_an_article_without_a_publication_time_takes_the_time_given_for_all_its_claims() -> None:
    events = actor_events([make_claim("claim-0001", "a2"), make_claim("claim-0002", "a2")], now=77.0)
    assert [(e["actor_id"], e["at"], len(e["claims"])) for e in events] == [("PRK", 77.0, 2), ("RUS", 77.0, 2)]
    assert actor_events([], now=1.0) == []


# --- apply_to_pane --------------------------------------------------------------------------------------------


def test_apply_to_pane_counts_everything() -> None:
    at = ts(T)
    e1 = event("PRK", make_claim("claim-0001", "a1", quantity=soldiers(3000), source=JCS), at)
    e2 = event("PRK", make_claim("claim-0002", "a1", type_="casualties", certainty="attributed",
                                 quantity=soldiers(4000), source=JCS), at + 1)
    e3 = event("PRK", make_claim("claim-0003", "a2", quantity=soldiers(11000), source=TASS), at + 2)
    e4 = event("PRK", make_claim("claim-0004", "a3", quantity=soldiers(2500), outlet="daily.example"), at + 3)
    e5 = event("PRK", make_claim("claim-0005", "a3", type_="visit", certainty="asserted",
                                 outlet="daily.example"), at + 4)
    pane = pane_of(e1, e2, e3, e4, e5)
    assert pane["ids"] == ["claim-0001", "claim-0002", "claim-0003", "claim-0004", "claim-0005"]
    assert pane["claims"] == 5
    assert pane["articles"] == ["a1", "a2", "a3"]
    assert pane["sources"] == ["daily.example", "kor-jcs", "tass"]
    assert pane["by_type"] == {"deployment": 3, "casualties": 1, "visit": 1}
    assert pane["by_certainty"] == {"hedged": 3, "attributed": 1, "asserted": 1}
    assert pane["quantities"] == {
        "deployment|soldiers": {
            "min": {"value": 2500, "source": "daily.example", "at": at + 3},  # no source: the outlet
            "max": {"value": 11000, "source": "TASS", "at": at + 2},  # the source's name
            "latest": {"value": 2500, "source": "daily.example", "at": at + 3},
        },
        "casualties|soldiers": {p: {"value": 4000, "source": "Joint Chiefs of Staff", "at": at + 1}
                                for p in ("min", "max", "latest")},
    }


def test_apply_to_pane_latest_is_by_event_time_not_arrival() -> None:
    at = ts(T)
    newer = event("PRK", make_claim("claim-0001", "a1", quantity=soldiers(3000), source=JCS), at + 60)
    older = event("PRK", make_claim("claim-0002", "a2", quantity=soldiers(11000), source=TASS), at)
    latest = pane_of(newer, older)["quantities"]["deployment|soldiers"]["latest"]
    assert latest == {"value": 3000, "source": "Joint Chiefs of Staff", "at": at + 60}


def test_apply_to_pane_units_are_kept_apart() -> None:
    at = ts(T)
    pane = pane_of(event("PRK", make_claim("claim-0001", "a1", quantity=soldiers(3000)), at),
                   event("PRK", make_claim("claim-0002", "a1", quantity=soldiers(2, unit="battalions")), at))
    assert sorted(pane["quantities"]) == ["deployment|battalions", "deployment|soldiers"]


def test_apply_to_pane_counts_a_claim_once_in_any_order() -> None:
    e1 = event("PRK", make_claim("claim-0001", "a1", quantity=soldiers(3000)), ts(T))
    e2 = event("PRK", make_claim("claim-0002", "a2", quantity=soldiers(9000)), ts(T) + 1)
    pane = apply_to_pane({}, e2)  # the later event first: held back, then delivered after a restart
    assert pane is not None and pane["ids"] == ["claim-0002"]
    assert apply_to_pane(pane, e2) is None  # the same claim again (redelivery, replay, re-sent article)
    both = apply_to_pane(pane, e1)
    assert both is not None and both["claims"] == 2 and both["articles"] == ["a1", "a2"]
    assert apply_to_pane(both, e1) is None and apply_to_pane(both, e2) is None
    assert both == pane_of(e1, e2)  # the same pane whatever the order
    assert pane == apply_to_pane({}, e2)  # the stored pane is not modified in place


def test_merged_windows_do_not_carry_the_claim_ids() -> None:
    pane = pane_of(event("PRK", make_claim("claim-0001", "a1"), ts(T)))
    assert "ids" not in merge([pane, pane])


def test_count_adds_a_claim_a_crash_left_in_some_panes_only_and_ignores_one_counted_everywhere() -> None:
    e1 = event("PRK", make_claim("claim-0001", "a1", quantity=soldiers(3000), source=JCS), ts(T))
    full = count(e1, panes={"1h": {}, "24h": {}, "7d": {}}, recent_here=[], recent_week=[], keep=20)
    assert set(full.panes) == {"1h", "24h", "7d"} and full.changed and full.recent is not None
    partial = count(e1, panes={"1h": full.panes["1h"], "24h": {}, "7d": full.panes["7d"]}, recent_here=[],
                    recent_week=[], keep=20)
    assert set(partial.panes) == {"24h"} and partial.changed
    again = count(e1, panes=full.panes, recent_here=full.recent or [], recent_week=full.recent or [], keep=20)
    assert again.panes == {} and not again.changed and again.links == [] and again.recent is None


# --- merge ----------------------------------------------------------------------------------------------------


def test_merge_sums_panes_and_counts_distinct_articles_and_sources() -> None:
    at = ts(T)
    first = pane_of(event("PRK", make_claim("claim-0001", "a1", quantity=soldiers(3000), source=JCS), at),
                    event("PRK", make_claim("claim-0002", "a2", type_="visit", source=TASS), at + 10))
    second = pane_of(event("PRK", make_claim("claim-0003", "a1", quantity=soldiers(11000), source=TASS,
                                             certainty="attributed"), at + HOUR),
                     event("PRK", make_claim("claim-0004", "a3", quantity=soldiers(1000), source=KREMLIN,
                                             certainty="asserted"), at + HOUR - 5))
    before = (orjson.dumps(first), orjson.dumps(second))
    window = merge([{}, first, {}, second, {}])
    assert window["claims"] == 4
    assert window["articles"] == {"a1", "a2", "a3"}
    assert window["sources"] == {"kor-jcs", "tass", "kremlin"}
    assert window["by_type"] == {"deployment": 3, "visit": 1}
    assert window["by_certainty"] == {"hedged": 2, "attributed": 1, "asserted": 1}
    assert window["quantities"] == {"deployment|soldiers": {
        "min": {"value": 1000, "source": "Kremlin", "at": at + HOUR - 5},
        "max": {"value": 11000, "source": "TASS", "at": at + HOUR},
        "latest": {"value": 11000, "source": "TASS", "at": at + HOUR},
    }}
    assert (orjson.dumps(first), orjson.dumps(second)) == before  # the panes are not modified
    assert merge([second, first]) == window  # order of the panes does not matter (no ties here)


def test_merge_of_nothing_is_zero() -> None:
    for window in (merge([]), merge([{}, {}])):
        assert window["claims"] == 0 and not window["articles"] and not window["sources"]
        assert not window["by_type"] and not window["by_certainty"] and window["quantities"] == {}


# --- window_panes ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("spec", "count", "step"), [(H1, 12, 300), (H24, 24, HOUR), (D7, 7, DAY)])
@pytest.mark.parametrize("end", [ts(T), ts(NOW), ts(T) - 1, ts(T) + 0.5])
def test_window_panes(spec: WindowSpec, count: int, step: int, end: float) -> None:
    starts = window_panes(spec, end)
    assert len(starts) == count == spec.panes and spec.step_s == step
    assert starts == sorted(starts)
    assert all(b - a == step for a, b in zip(starts, starts[1:], strict=False))
    assert all(s % step == 0 for s in starts)
    assert starts[-1] <= end < starts[-1] + step  # the last pane holds `end`
    assert starts[-1] + step - starts[0] == spec.size_s


def test_window_panes_examples() -> None:
    def iso(starts: list[float]) -> tuple[str, str]:
        return datetime.fromtimestamp(starts[0], UTC).isoformat(), datetime.fromtimestamp(starts[-1], UTC).isoformat()

    assert iso(window_panes(H1, ts(NOW))) == ("2026-11-23T11:10:00+00:00", "2026-11-23T12:05:00+00:00")
    assert iso(window_panes(H24, ts(NOW))) == ("2026-11-22T13:00:00+00:00", "2026-11-23T12:00:00+00:00")
    assert iso(window_panes(D7, ts(NOW))) == ("2026-11-17T00:00:00+00:00", "2026-11-23T00:00:00+00:00")
    assert [s % DAY for s in window_panes(D7, ts(NOW))] == [0.0] * 7  # days are UTC days
    assert WINDOWS == (H1, H24, D7)


# --- record ---------------------------------------------------------------------------------------------------


def sample_window() -> Pane:
    at = ts(T)
    return merge([
        pane_of(event("PRK", make_claim("claim-0001", "a1", quantity=soldiers(3000, qualifier="at_least"),
                                        source=JCS), at)),
        pane_of(event("PRK", make_claim("claim-0002", "a2", quantity=soldiers(11000), source=TASS,
                                        certainty="attributed"), at + 400),
                event("PRK", make_claim("claim-0003", "a2", type_="visit", certainty="asserted",
                                        source=TASS), at + 401)),
    ])


def test_record_of_a_window() -> None:
    rec = record("PRK", H1, ts(NOW), sample_window(), NOW)
    assert rec.actor_id == "PRK" and rec.window == "1h"
    assert rec.window_start == "2026-11-23T11:10:00+00:00"
    assert rec.window_end == "2026-11-23T12:10:00+00:00"
    assert (rec.claims, rec.articles, rec.sources) == (3, 2, 2)
    assert rec.by_type == {"deployment": 2, "visit": 1}
    assert list(rec.by_type) == sorted(rec.by_type)
    assert rec.by_certainty == {"asserted": 1, "attributed": 1, "hedged": 1}
    assert rec.quantities == {"deployment|soldiers": {
        "min": {"value": 3000, "source": "Joint Chiefs of Staff"},
        "max": {"value": 11000, "source": "TASS"},
        "latest": {"value": 11000, "source": "TASS"},
    }}
    assert rec.updated_at == NOW.isoformat()
    assert aggregate_errors(rec) == []


@pytest.mark.parametrize("spec", WINDOWS, ids=lambda s: s.label)
def test_record_bounds_and_schema_for_every_window(spec: WindowSpec) -> None:
    starts = window_panes(spec, ts(NOW))
    for window in (sample_window(), merge([])):
        rec = record("PRK", spec, ts(NOW), window, NOW)
        assert rec.window == spec.label
        assert datetime.fromisoformat(rec.window_start) == datetime.fromtimestamp(starts[0], UTC)
        assert datetime.fromisoformat(rec.window_end) == datetime.fromtimestamp(starts[-1] + spec.step_s, UTC)
        assert datetime.fromisoformat(rec.window_end) - datetime.fromisoformat(rec.window_start) == timedelta(
            seconds=spec.size_s)
        assert rec.window_start.endswith("+00:00") and rec.window_end.endswith("+00:00")
        assert aggregate_errors(rec) == []


# --- recompute ------------------------------------------------------------------------------------------------


def test_recompute_counts_the_same_claim_id_once() -> None:
    claim = make_claim(quantity=soldiers(3000), published_at=zulu(T))
    out = recompute([data(claim), data(claim)], H1)
    assert out["PRK"]["claims"] == 1 and out["RUS"]["claims"] == 1


def test_recompute_syndicated_copy_counts_for_nobody() -> None:
    original = make_claim("claim-0001", "ansa.txt", quantity=soldiers(3000), source=JCS, published_at=zulu(T))
    copy = make_claim("claim-0002", "copy.txt", quantity=soldiers(3000), source=JCS, published_at=zulu(T),
                      duplicate_of="ansa.txt")
    out = recompute([data(original), data(copy)], H24)
    assert {a: w["claims"] for a, w in out.items()} == {"PRK": 1, "RUS": 1, "KOR": 1}
    assert out["PRK"]["articles"] == {"ansa.txt"}
    assert recompute([data(copy)], H24) == {}


def test_recompute_two_actors_and_the_source_country() -> None:
    claim = make_claim(quantity=soldiers(11000), source=JCS, certainty="attributed", published_at=zulu(T))
    out = recompute([data(claim)], D7)
    assert set(out) == {"PRK", "RUS", "KOR"}
    for window in out.values():
        assert window["claims"] == 1 and window["sources"] == {"kor-jcs"}
        assert window["by_certainty"] == {"attributed": 1}


def late_claims() -> list[Claim]:
    """PRK claims given out of order: the latest is at T, others 10 min, 3 h, 2 d and 8 d before it."""
    offsets = {"claim-3h": 3 * HOUR, "claim-now": 0, "claim-8d": 8 * DAY, "claim-10m": 10 * MINUTE,
               "claim-2d": 2 * DAY}
    return [make_claim(cid, f"{cid}.txt", actors=[country("PRK")], quantity=soldiers(1000 + i),
                       published_at=zulu(T - timedelta(seconds=back)))
            for i, (cid, back) in enumerate(offsets.items())]


@pytest.mark.parametrize(("spec", "articles"), [
    (H1, {"claim-now.txt", "claim-10m.txt"}),
    (H24, {"claim-now.txt", "claim-10m.txt", "claim-3h.txt"}),
    (D7, {"claim-now.txt", "claim-10m.txt", "claim-3h.txt", "claim-2d.txt"}),  # 8 days old: expired
], ids=lambda v: v.label if isinstance(v, WindowSpec) else None)
def test_recompute_late_and_out_of_order_claims_land_by_event_time(spec: WindowSpec, articles: set[str]) -> None:
    claims = late_claims()
    for order in (claims, claims[::-1], sorted(claims, key=lambda c: c.claim_id)):
        window = recompute([data(c) for c in order], spec)["PRK"]
        assert window["articles"] == articles
        assert window["claims"] == len(articles)
        assert window["quantities"]["deployment|soldiers"]["latest"]["value"] == 1001  # claim-now


def test_recompute_with_an_explicit_end() -> None:
    claims = [data(c) for c in late_claims()]
    two_hours_later = ts(T + timedelta(hours=2))
    assert recompute(claims, H1, {"PRK": two_hours_later})["PRK"]["claims"] == 0
    assert recompute(claims, H24, {"PRK": two_hours_later})["PRK"]["claims"] == 3
    assert recompute(claims, H24, {"PRK": ts(T) - 3 * HOUR})["PRK"]["articles"] == {"claim-3h.txt"}
    assert recompute(claims, D7, {"PRK": ts(T) - 7 * DAY})["PRK"]["articles"] == {"claim-8d.txt"}
    out = recompute(claims, H24, {"USA": ts(T)})
    assert list(out) == ["USA"] and out["USA"]["claims"] == 0  # only the actors asked for


# --- the stream agrees with recompute -------------------------------------------------------------------------

class Stream:
    """The aggregate agent's tables (on a dict), driven by the pure function it calls (aggregates.count_in, as in
    agents.count_claim); at-least-once delivery, replays, and events held back past later ones."""

    def __init__(self) -> None:
        self.store = DictStore()
        self.applied = self.ignored = 0
        self.latest: dict[str, float] = {}

    def publish(self, claims: list[Claim], ingest: float) -> list[dict[str, Any]]:
        out = []
        for claim in claims:
            at = event_time(claim, ingest)
            out.extend(event(actor, claim, at) for actor in actor_keys(claim))
        return out

    def deliver(self, e: dict[str, Any]) -> None:
        actor = str(e["actor_id"])
        counted = count_in(e, self.store)
        self.applied += len(counted.panes)
        self.ignored += not counted.changed
        self.latest[actor] = max(self.latest.get(actor, float(e["at"])), float(e["at"]))

    def run(self, claims: list[Claim], ingest: float) -> None:
        events = self.publish(claims, ingest)
        held_back = events[1::7]  # as Faust can around a rebalance: delivered only after a restart
        for e in events:
            if not any(e is h for h in held_back):
                self.deliver(e)
                self.deliver(e)  # at-least-once: redelivered
        for e in held_back + events:  # the restart: the held-back ones, then everything again (replay)
            self.deliver(e)

    def window(self, actor: str, spec: WindowSpec, end: float) -> Pane:
        return merge(self.store.get(spec.label, actor, start) or {} for start in window_panes(spec, end))


def stream_claims() -> list[Claim]:
    """Nine days of claims about PRK, RUS, KOR, UKR: replays, a copy, late arrivals, several units and types.
    Figures of one '<type>|<unit>' differ, and so do their event times (ties: see the tests below)."""
    def at(**back: float) -> str:
        return zulu(T - timedelta(**back))

    kor_ukr = [country("KOR"), country("UKR", "target")]
    return [
        make_claim("c-000001", "a01", quantity=soldiers(3000, qualifier="at_least"), published_at=at(minutes=2)),
        make_claim("c-000002", "a01", type_="casualties", certainty="attributed", quantity=soldiers(4000),
                   source=JCS, published_at=at(minutes=2)),
        make_claim("c-000003", "a02", quantity=soldiers(11000), source=TASS, certainty="attributed",
                   published_at=at(hours=3)),  # late: 3 h old
        make_claim("c-000004", "a03", type_="visit", certainty="asserted", actors=[KIM, country("RUS")],
                   published_at=at(minutes=40)),
        make_claim("c-000005", "a04", quantity=soldiers(12000), source=KREMLIN, published_at=at(days=2)),
        make_claim("c-000001", "a01", quantity=soldiers(3000, qualifier="at_least"),
                   published_at=at(minutes=2)),  # the same claim again (article re-sent)
        make_claim("c-000006", "a05", quantity=soldiers(3100), source=JCS, published_at=at(minutes=2),
                   duplicate_of="a01"),  # syndicated copy
        make_claim("c-000007", "a06", type_="arms_transfer", quantity=soldiers(150, unit="missiles"),
                   actors=[country("PRK"), country("RUS", "target")], published_at=at(days=8)),  # expired
        make_claim("c-000008", "a07", quantity=soldiers(2, unit="battalions"), source=OFFICIAL,
                   published_at=at(minutes=45)),
        make_claim("c-000009", "a08", type_="aid", actors=kor_ukr, quantity=soldiers(94, unit="million dollars"),
                   published_at=at(hours=30)),
        make_claim("c-000010", "a09", type_="aid", actors=kor_ukr, quantity=soldiers(10, unit="million dollars"),
                   source=TASS, published_at=at(minutes=1)),
        make_claim("c-000011", "a10", type_="statement", certainty="asserted", actors=[country("UKR")],
                   outlet=None, published_at=at(days=6, hours=10)),
        make_claim("c-000012", "a11", quantity=soldiers(2500), outlet="daily.example",
                   published_at=at(minutes=20)),
        make_claim("c-000013", "a02", type_="casualties", quantity=soldiers(3900), source=KREMLIN,
                   published_at="2026-11-23T09:00:00+01:00"),  # an offset: 08:00Z
    ]


@pytest.mark.parametrize("seed", [None, 1, 2, 3, 4, 5])
def test_stream_panes_merged_equal_recompute_for_every_actor_and_window(seed: int | None) -> None:
    claims = stream_claims()
    if seed is not None:
        random.Random(seed).shuffle(claims)  # event times arrive in any order
    stream = Stream()
    stream.run(claims, ingest=ts(NOW))
    pairs = {(a, c.claim_id) for c in claims for a in actor_keys(c)}
    assert stream.applied == 3 * len(pairs)  # each (actor, claim) applied once to its 3 panes
    assert stream.ignored > len(pairs)
    reference = [data(c) for c in claims]
    for spec in WINDOWS:
        expected = recompute(reference, spec)
        assert set(expected) == set(stream.latest) == {"PRK", "RUS", "KOR", "UKR", "kim-jong-un"}
        for actor, window in expected.items():
            got = stream.window(actor, spec, stream.latest[actor])
            assert got == window, (actor, spec.label)
            assert record(actor, spec, stream.latest[actor], got, NOW) == record(
                actor, spec, stream.latest[actor], window, NOW)
        ends = {actor: ts(NOW) for actor in stream.latest}  # published "now", as the timer does
        for actor, window in recompute(reference, spec, ends).items():
            assert stream.window(actor, spec, ts(NOW)) == window, (actor, spec.label)
            assert aggregate_errors(record(actor, spec, ts(NOW), window, NOW)) == []


def test_stream_expired_and_copy_are_nowhere() -> None:
    claims = stream_claims()
    stream = Stream()
    stream.run(claims, ingest=ts(NOW))
    for spec in WINDOWS:
        for actor in stream.latest:
            window = stream.window(actor, spec, ts(NOW))
            assert "a06" not in window["articles"]  # 8 days old
            assert "a05" not in window["articles"]  # a copy
    assert stream.window("PRK", H1, ts(NOW))["articles"] == {"a01", "a07", "a11"}
    assert stream.window("PRK", H24, ts(NOW))["articles"] == {"a01", "a02", "a07", "a11"}
    assert stream.window("UKR", D7, ts(NOW))["articles"] == {"a08", "a09", "a10"}


def tied(values: tuple[float, float], backs: tuple[float, float]) -> list[Claim]:
    return [make_claim(f"c-tie-0{i}", f"tie-{i}", actors=[country("PRK")], quantity=soldiers(v), source=src,
                       published_at=zulu(T - timedelta(seconds=back)))
            for i, (v, back, src) in enumerate(zip(values, backs, (JCS, TASS), strict=True))]


def test_stream_equals_recompute_when_latest_figures_share_an_event_time() -> None:
    claims = tied((3000, 11000), (120, 120))
    stream = Stream()
    stream.run(claims, ingest=ts(NOW))
    for spec in WINDOWS:
        assert stream.window("PRK", spec, ts(T)) == recompute([data(c) for c in claims], spec, {"PRK": ts(T)})["PRK"]


def test_stream_equals_recompute_when_equal_figures_arrive_out_of_order() -> None:
    claims = tied((3000, 3000), (10 * MINUTE, 2 * HOUR))  # the newer one first
    stream = Stream()
    stream.run(claims, ingest=ts(NOW))
    for spec in WINDOWS:
        assert stream.window("PRK", spec, ts(T)) == recompute([data(c) for c in claims], spec, {"PRK": ts(T)})["PRK"]


# --- remember / links_for -------------------------------------------------------------------------------------


def test_remember_adds_once_and_keeps_the_last() -> None:
    events = [event("PRK", make_claim(f"claim-000{i}", f"a{i}", quantity=soldiers(1000 * i), source=JCS),
                    ts(T) + i) for i in range(1, 5)]
    entries = remember([], events[0], 3)
    assert entries == [{"claim_id": "claim-0001", "article_id": "a1", "source": "kor-jcs",
                        "quantity": {"unit": "soldiers", "value": 1000}, "at": ts(T) + 1}]
    assert remember(entries, events[0], 3) is None  # already there
    for e in events[1:]:
        before = list(entries)
        kept = remember(entries, e, 3)
        assert kept is not None and entries == before  # the list given is not modified
        entries = kept
    assert [e["claim_id"] for e in entries] == ["claim-0002", "claim-0003", "claim-0004"]
    assert remember(entries, events[0], 3) is not None  # forgotten, so new again


def two_reports(q1: dict[str, Any] | None, q2: dict[str, Any] | None, *, source2: dict[str, Any] = TASS,
                article2: str = "tass-1.txt", type_: str = "deployment") -> tuple[dict[str, Any], dict[str, Any]]:
    a = make_claim("claim-b-seoul", "yonhap-1.txt", type_=type_, quantity=q1, source=JCS, certainty="attributed",
                   published_at=zulu(T))
    b = make_claim("claim-a-moscow", article2, type_=type_, quantity=q2, source=source2, certainty="attributed",
                   published_at=zulu(T + timedelta(minutes=5)))
    return event("PRK", a, ts(T)), event("PRK", b, ts(T) + 300)


def links_between(first: dict[str, Any], second: dict[str, Any]) -> list[ClaimLink]:
    recent = remember([], first, 20)
    assert recent is not None
    return links_for("PRK", str(second["type"]), second, recent)


def test_links_conflicting_figures() -> None:
    seoul, moscow = two_reports(soldiers(11000), soldiers(12000))
    links = links_between(seoul, moscow)
    assert len(links) == 1
    link = links[0]
    assert link.relation == "conflicts"
    assert link.actor_id == "PRK" and link.type == "deployment"
    assert link.claim_ids == ["claim-a-moscow", "claim-b-seoul"]  # sorted
    assert link.article_ids == ["tass-1.txt", "yonhap-1.txt"]
    assert link.sources == ["tass", "kor-jcs"]
    assert link.values == [12000, 11000]
    assert link.link_id == "PRK:claim-a-moscow:claim-b-seoul"
    assert link_errors(link) == []


def test_count_in_keeps_panes_by_window_step_and_recent_claims_by_day_and_links_across_days() -> None:
    seoul, moscow = two_reports(soldiers(11000), soldiers(12000))
    moscow = {**moscow, "at": ts(T) + DAY}  # the next day: linked through the week's recent claims
    store = DictStore()
    assert count_in(seoul, store).links == []
    assert count_in(seoul, store).changed is False  # again: nothing changes, nothing is written
    linked = count_in(moscow, store)
    assert [link.claim_ids for link in linked.links] == [["claim-a-moscow", "claim-b-seoul"]]
    day = ts(T) - ts(T) % DAY
    assert sorted(store.values) == sorted([
        ("1h", "PRK", ts(T) - ts(T) % 300), ("24h", "PRK", ts(T) - ts(T) % HOUR), ("7d", "PRK", day),
        ("1h", "PRK", ts(T) + DAY - ts(T) % 300), ("24h", "PRK", ts(T) + DAY - ts(T) % HOUR), ("7d", "PRK", day + DAY),
        (RECENT, "PRK|deployment", day), (RECENT, "PRK|deployment", day + DAY)])
    assert store.get("7d", "PRK", day)["ids"] == ["claim-b-seoul"]


def test_link_is_the_same_whichever_claim_comes_first() -> None:
    seoul, moscow = two_reports(soldiers(11000), soldiers(12000))
    one, other = links_between(seoul, moscow), links_between(moscow, seoul)
    assert len(one) == len(other) == 1
    assert one[0].to_representation() == other[0].to_representation()


@pytest.mark.parametrize(("q1", "q2", "relation"), [
    (soldiers(11000), soldiers(12000), "conflicts"),
    (soldiers(11000), soldiers(11000), "corroborates"),
    (soldiers(11000), soldiers(11300), "corroborates"),  # within 5 %
    (soldiers(11300), soldiers(11000), "corroborates"),
    (soldiers(11000), soldiers(11600), "conflicts"),  # 5.2 %
    (soldiers(11000, qualifier="at_least"), soldiers(11000, qualifier="approx"), "corroborates"),
    (None, None, "corroborates"),
    (soldiers(11000), None, None),
    (None, soldiers(11000), None),
    (soldiers(11000), soldiers(11000, unit="troops"), None),
])
def test_link_relation(q1: dict[str, Any] | None, q2: dict[str, Any] | None, relation: str | None) -> None:
    links = links_between(*two_reports(q1, q2))
    assert [link.relation for link in links] == ([relation] if relation else [])
    for link in links:
        assert link_errors(link) == []
        assert sorted(link.values, key=lambda v: v or 0) == sorted(
            [(q or {}).get("value") for q in (q1, q2)], key=lambda v: v or 0)


def test_no_link_from_the_same_source_or_the_same_article() -> None:
    same_source = two_reports(soldiers(11000), soldiers(12000), source2=JCS)
    same_article = two_reports(soldiers(11000), soldiers(12000), article2="yonhap-1.txt")
    assert links_between(*same_source) == []
    assert links_between(*same_article) == []
    seoul, _ = two_reports(soldiers(11000), soldiers(12000))
    assert links_for("PRK", "deployment", seoul, [seoul]) == []  # itself


def test_links_to_every_qualifying_recent_claim() -> None:
    seoul, moscow = two_reports(soldiers(11000), soldiers(12000))
    outlet_only = event("PRK", make_claim("claim-c-daily", "daily-1.txt", quantity=soldiers(12200),
                                          outlet="daily.example"), ts(T) + 60)
    recent: list[dict[str, Any]] = []
    for e in (seoul, outlet_only):
        kept = remember(recent, e, 20)
        assert kept is not None
        recent = kept
    links = links_for("PRK", "deployment", moscow, recent)
    assert sorted((link.relation, link.claim_ids[1]) for link in links) == [
        ("conflicts", "claim-b-seoul"), ("corroborates", "claim-c-daily")]
    assert all(link_errors(link) == [] for link in links)


def test_links_go_to_the_latest_claim_of_each_other_source_for_a_few_sources() -> None:
    sources = [{"id": f"src-{n}", "name": f"Source {n}", "kind": "organization", "country": "KOR", "verb": "said"}
               for n in range(5)]
    recent: list[dict[str, Any]] = []
    for n in range(10):  # two claims from each of five sources, older to newer
        e = event("PRK", make_claim(f"claim-r-{n:02d}", f"art-{n}", quantity=soldiers(11000),
                                    source=sources[n % 5]), ts(T) + n)
        recent = remember(recent, e, 20) or recent
    new = event("PRK", make_claim("claim-new", "art-new", quantity=soldiers(11000), source=JCS), ts(T) + 60)
    links = links_for("PRK", "deployment", new, recent)
    assert [link.claim_ids for link in links] == [["claim-new", "claim-r-09"], ["claim-new", "claim-r-08"],
                                                  ["claim-new", "claim-r-07"]]
    assert all(link.relation == "corroborates" for link in links)
    assert len(links_for("PRK", "deployment", new, recent, max_sources=10)) == 5  # one per source
