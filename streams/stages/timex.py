"""When a claim happened: time words of a sentence ("lunedì", "la scorsa settimana", "a gennaio e febbraio",
"on Monday", "last year") resolved to a date range relative to the article's published_at."""

from __future__ import annotations

import calendar
from datetime import date, timedelta

from streams.records import Cue

JOIN_GAP = 8  # characters between two months of one range ("gennaio e febbraio", "January to March")


def _month_range(year: int, first: int, last: int) -> tuple[date, date]:
    return date(year, first, 1), date(year, last, calendar.monthrange(year, last)[1])


def _months(published: date, first: int, last: int) -> tuple[date, date]:
    """A month named without a year is the latest one not after publication (news reports the past)."""
    year = published.year if first <= published.month else published.year - 1
    return _month_range(year, first, last)


def _week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def relative_range(kind: str, published: date) -> tuple[date, date] | None:
    """The range a relative expression names, as of `published`."""
    year_start = date(published.year, 1, 1)
    last_month_end = published.replace(day=1) - timedelta(days=1)
    ranges = {
        "today": (published, published),
        "yesterday": (published - timedelta(days=1),) * 2,
        "day_before_yesterday": (published - timedelta(days=2),) * 2,
        "last_week": (_week_start(published) - timedelta(days=7), _week_start(published) - timedelta(days=1)),
        "recent_weeks": (published - timedelta(days=28), published),
        "recent_days": (published - timedelta(days=7), published),
        "last_month": (last_month_end.replace(day=1), last_month_end),
        "this_month": (published.replace(day=1), published),
        "this_year": (year_start, published),
        "early_this_year": (year_start, min(published, date(published.year, 3, 31))),
        "last_year": (date(published.year - 1, 1, 1), date(published.year - 1, 12, 31)),
    }
    return ranges.get(kind)


def weekday_on_or_before(published: date, weekday: int) -> date:
    return published - timedelta(days=(published.weekday() - weekday) % 7)


def resolve(body: str, cues: list[Cue], published: date | None, joiners: set[str]) -> dict[str, str | None] | None:
    """The first time expression of a sentence's cues, resolved (start/end None when the date is unknown)."""
    times = sorted((c for c in cues if c.kind == "time"), key=lambda c: c.start)
    if not times:
        return None
    first = times[0]
    kind, _, value = first.label.partition(":")
    end_cue = first
    span: tuple[date, date] | None = None
    if kind == "month":
        last = int(value)
        for nxt in times[1:]:
            between = body[end_cue.end:nxt.start].strip().lower()
            if not nxt.label.startswith("month:") or nxt.start - end_cue.end > JOIN_GAP or between not in joiners:
                break
            end_cue, last = nxt, int(nxt.label.partition(":")[2])
        if published is not None and last >= int(value):
            span = _months(published, int(value), last)
    elif kind == "weekday" and published is not None:
        day = weekday_on_or_before(published, int(value))
        span = (day, day)
    elif kind == "rel" and published is not None:
        span = relative_range(value, published)
    return {"text": body[first.start:end_cue.end],
            "start": span[0].isoformat() if span else None, "end": span[1].isoformat() if span else None}
