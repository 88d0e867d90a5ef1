"""streams/stages/aggregates.py: which actors a claim counts for, idempotent window state, window records."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import orjson
import pytest

from streams import codecs
from streams.records import ActorAggregate, Claim
from streams.stages.aggregates import (
    WindowState,
    actor_claim,
    actor_keys,
    add_claim,
    event_time,
    summarize,
    window_bounds,
)

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
HOUR = 3600


def actor(actor_id: str, role: str = "agent", kind: str = "country") -> dict[str, Any]:
    return {"id": actor_id, "name": actor_id.title(), "kind": kind,
            "country": actor_id if kind == "country" else None, "role": role}


def make_claim(
    claim_id: str = "claim-0001",
    article_id: str = "a.txt",
    type_: str = "deployment",
    certainty: str = "hedged",
    actors: list[dict[str, Any]] | None = None,
    source: dict[str, Any] | None = None,
    duplicate_of: str | None = None,
    published_at: str | None = None,
) -> Claim:
    return Claim(
        claim_id=claim_id, article_id=article_id, lang="it",
        text="Sembra che la Corea del Nord abbia inviato almeno 3.000 soldati in Russia.",
        span=[0, 74], type=type_,
        actors=[actor("PRK"), actor("RUS", "location")] if actors is None else actors,
        quantity={"value": 3000, "unit": "soldiers", "qualifier": "at_least"},
        source=source, certainty=certainty, time=None, duplicate_of=duplicate_of,
        provenance={"outlet": None, "url": None, "published_at": published_at},
    )


def seoul(country: str | None = "KOR") -> dict[str, Any]:
    return {"id": "KOR" if country else None, "name": "Seoul", "kind": "country", "country": country,
            "verb": "secondo"}


def test_the_claims_built_here_are_valid_claim_events() -> None:
    for claim in (make_claim(), make_claim(source=seoul(), published_at="2026-11-20T09:30:00Z")):
        assert codecs.schema_errors(Claim.schema, orjson.loads(codecs.encode(claim))) == []


# --- actor_keys -----------------------------------------------------------------------------------------


def test_actor_keys_are_the_actors_in_order() -> None:
    assert actor_keys(make_claim()) == ["PRK", "RUS"]


def test_actor_keys_add_the_source_country() -> None:
    assert actor_keys(make_claim(source=seoul())) == ["PRK", "RUS", "KOR"]


def test_actor_keys_are_deduplicated() -> None:
    claim = make_claim(actors=[actor("RUS"), actor("PRK", "target"), actor("RUS", "location")],
                       source={"id": "kremlin", "name": "Kremlin", "kind": "organization", "country": "RUS",
                               "verb": "said"})
    assert actor_keys(claim) == ["RUS", "PRK"]


def test_person_actor_counts_under_its_own_id() -> None:
    person = {"id": "kim-jong-un", "name": "Kim Jong Un", "kind": "person", "country": "PRK", "role": "agent"}
    assert actor_keys(make_claim(actors=[person])) == ["kim-jong-un"]


def test_source_without_country_adds_nothing() -> None:
    unnamed = {"id": None, "name": "fonti diplomatiche", "kind": "unnamed", "country": None, "verb": None}
    assert actor_keys(make_claim(source=unnamed)) == ["PRK", "RUS"]
    assert actor_keys(make_claim(source=seoul(country=None))) == ["PRK", "RUS"]


def test_claim_without_actors_or_source_counts_for_nobody() -> None:
    assert actor_keys(make_claim(actors=[])) == []


def test_source_country_alone() -> None:
    assert actor_keys(make_claim(actors=[], source=seoul())) == ["KOR"]


def test_syndicated_copy_counts_for_nobody() -> None:
    assert actor_keys(make_claim(source=seoul(), duplicate_of="it-corea-truppe.txt")) == []


def test_actor_claim_event() -> None:
    claim = make_claim(claim_id="c-42", article_id="x.txt", type_="casualties", certainty="attributed")
    assert actor_claim("PRK", claim) == {"actor_id": "PRK", "claim_id": "c-42", "type": "casualties",
                                         "certainty": "attributed", "article_id": "x.txt"}


# --- add_claim ------------------------------------------------------------------------------------------


def event(claim_id: str, type_: str = "deployment", certainty: str = "hedged", article_id: str = "a.txt",
          actor_id: str = "PRK") -> dict[str, Any]:
    return actor_claim(actor_id, make_claim(claim_id=claim_id, type_=type_, certainty=certainty,
                                            article_id=article_id))


def test_add_claim_to_an_empty_window() -> None:
    state, changed = add_claim({}, event("c1"))
    assert changed
    assert state == {"c1": {"type": "deployment", "certainty": "hedged", "article_id": "a.txt"}}


def test_add_claim_is_idempotent() -> None:
    once, changed_once = add_claim({}, event("c1"))
    twice, changed_twice = add_claim(once, event("c1"))
    assert changed_once
    assert not changed_twice
    assert twice == once


def test_redelivery_with_different_fields_does_not_overwrite() -> None:
    state, _ = add_claim({}, event("c1", type_="deployment"))
    again, changed = add_claim(state, event("c1", type_="attack", article_id="other.txt"))
    assert not changed
    assert again["c1"]["type"] == "deployment"


def test_add_claim_does_not_mutate_the_state_it_is_given() -> None:
    state: WindowState = {"c1": {"type": "attack", "certainty": "asserted", "article_id": "a.txt"}}
    before = {k: dict(v) for k, v in state.items()}
    new, changed = add_claim(state, event("c2"))
    assert changed
    assert state == before
    assert set(new) == {"c1", "c2"}


def test_replaying_a_stream_gives_the_same_state() -> None:
    events = [event("c1"), event("c2", "attack"), event("c1"), event("c3", article_id="b.txt"), event("c2")]
    state: WindowState = {}
    changes = []
    for e in events:
        state, changed = add_claim(state, e)
        changes.append(changed)
    replayed = state
    for e in events:
        replayed, changed = add_claim(replayed, e)
        assert not changed
    assert changes == [True, True, False, True, False]
    assert replayed == state
    assert len(state) == 3


# --- summarize ------------------------------------------------------------------------------------------


def state_of(*events: dict[str, Any]) -> WindowState:
    state: WindowState = {}
    for e in events:
        state, _ = add_claim(state, e)
    return state


def test_summarize_counts_claims_articles_types_and_certainties() -> None:
    state = state_of(
        event("c1", "deployment", "hedged", "a.txt"),
        event("c2", "casualties", "attributed", "a.txt"),
        event("c3", "deployment", "attributed", "b.txt"),
        event("c1", "deployment", "hedged", "a.txt"),  # redelivered
        event("c4", "visit", "asserted", "c.txt"),
    )
    window = window_bounds(1_763_631_000.0, HOUR)
    record = summarize("PRK", state, window, NOW)
    assert isinstance(record, ActorAggregate)
    assert record.actor_id == "PRK"
    assert record.claims == 4
    assert record.articles == 3
    assert record.by_type == {"deployment": 2, "casualties": 1, "visit": 1}
    assert record.by_certainty == {"hedged": 1, "attributed": 2, "asserted": 1}
    assert sum(record.by_type.values()) == record.claims
    assert sum(record.by_certainty.values()) == record.claims
    assert record.updated_at == NOW.isoformat()


def test_summarize_window_times_are_utc_iso() -> None:
    start, end = window_bounds(datetime(2026, 11, 20, 9, 30, tzinfo=UTC).timestamp(), HOUR)
    record = summarize("RUS", state_of(event("c1")), (start, end), NOW)
    assert datetime.fromisoformat(record.window_start) == datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
    assert datetime.fromisoformat(record.window_end) == datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
    assert datetime.fromisoformat(record.window_start).utcoffset() is not None


def test_summarize_empty_window() -> None:
    record = summarize("RUS", {}, (0.0, 3600.0), NOW)
    assert (record.claims, record.articles, record.by_type, record.by_certainty) == (0, 0, {}, {})
    assert record.window_start == "1970-01-01T00:00:00+00:00"


def test_summary_validates_against_its_schema() -> None:
    record = summarize("PRK", state_of(event("c1"), event("c2", "attack")), (0.0, 3600.0), NOW)
    assert codecs.schema_errors(ActorAggregate.schema, orjson.loads(codecs.encode(record))) == []


# --- window_bounds --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ts", "size", "bounds"),
    [
        (0.0, HOUR, (0.0, 3600.0)),
        (3599.999, HOUR, (0.0, 3600.0)),
        (3600.0, HOUR, (3600.0, 7200.0)),  # a window is [start, end)
        (3601.5, HOUR, (3600.0, 7200.0)),
        (1_763_631_000.0, HOUR, (1_763_629_200.0, 1_763_632_800.0)),
        (125.0, 60, (120.0, 180.0)),
        (90_000.0, 86_400, (86_400.0, 172_800.0)),
    ],
)
def test_window_bounds(ts: float, size: int, bounds: tuple[float, float]) -> None:
    assert window_bounds(ts, size) == bounds


def test_window_bounds_contain_the_timestamp_and_tile() -> None:
    for ts in (1.0, 59.0, 1_000_000.25, 1_763_631_000.0):
        start, end = window_bounds(ts, 300)
        assert start <= ts < end
        assert end - start == 300
        assert start % 300 == 0
        assert window_bounds(start, 300) == (start, end)
        assert window_bounds(end, 300)[0] == end


# --- event_time -----------------------------------------------------------------------------------------

FALLBACK = 1_700_000_000.0


@pytest.mark.parametrize(
    ("published_at", "expected"),
    [
        ("2026-11-20T09:30:00Z", datetime(2026, 11, 20, 9, 30, tzinfo=UTC)),
        ("2026-11-20T09:30:00+00:00", datetime(2026, 11, 20, 9, 30, tzinfo=UTC)),
        ("2026-11-20T10:30:00+01:00", datetime(2026, 11, 20, 9, 30, tzinfo=UTC)),
        ("2026-11-20T09:30:00", datetime(2026, 11, 20, 9, 30, tzinfo=UTC)),  # no tz: taken as UTC
        ("2026-11-20T09:30:00.500Z", datetime(2026, 11, 20, 9, 30, 0, 500_000, tzinfo=UTC)),
    ],
)
def test_event_time_from_published_at(published_at: str, expected: datetime) -> None:
    assert event_time(make_claim(published_at=published_at), FALLBACK) == expected.timestamp()


def test_event_time_does_not_depend_on_the_local_timezone(monkeypatch: pytest.MonkeyPatch) -> None:
    import time

    monkeypatch.setenv("TZ", "America/Los_Angeles")
    time.tzset()
    try:
        expected = datetime(2026, 11, 20, 9, 30, tzinfo=UTC).timestamp()
        assert event_time(make_claim(published_at="2026-11-20T09:30:00"), FALLBACK) == expected
    finally:
        monkeypatch.undo()
        time.tzset()


@pytest.mark.parametrize("published_at", [None, "", "yesterday", "20/11/2026"])
def test_event_time_falls_back_when_missing_or_unparsable(published_at: str | None) -> None:
    assert event_time(make_claim(published_at=published_at), FALLBACK) == FALLBACK


def test_claims_of_one_article_land_in_the_window_of_its_publication() -> None:
    claim = make_claim(published_at="2026-11-20T09:59:59Z")
    start, end = window_bounds(event_time(claim, FALLBACK), HOUR)
    assert datetime.fromtimestamp(start, UTC) == datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
    assert datetime.fromtimestamp(end, UTC) == datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
