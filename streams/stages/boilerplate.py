"""Learned boilerplate: a short line seen in at least K distinct articles of one outlet within a window is
that outlet's furniture from then on. New outlets need no configuration. The sightings live in a mapping from
(outlet, line hash) to the recent (article id, seen at) pairs; these functions only read it and say what to write.
On the stream that mapping is a cache: each original article's entry in the `clean-seen` table carries its outlet
and line hashes, and `replay` makes the mapping again from those entries (one table write per article instead of
one per line). Tuples, not dicts and lists: a worker holds one key per short line of every article of the
learning window (~1.2 million for 100,000 articles), and a dict holding a list of lists took ~460 bytes a key."""

from __future__ import annotations

import hashlib
import sys
from collections.abc import Iterable, Mapping
from typing import Any

MAX_LINE_CHARS = 200  # furniture is short; long paragraphs are never learned

LineKey = tuple[str, str]  # (outlet, line hash)
Sightings = tuple[tuple[str, float], ...]  # the recent (article id, seen at) pairs of a line, oldest first


def line_hash(line: str) -> str:
    return hashlib.sha1(" ".join(line.lower().split()).encode("utf-8")).hexdigest()[:16]


def line_key(outlet: str, digest: str) -> LineKey:
    return (outlet, digest)


def _recent(sightings: Sightings | None, now: float, window_s: float) -> Sightings:
    """The sightings of a line still inside the window."""
    if not sightings:
        return ()
    return tuple(pair for pair in sightings if now - pair[1] <= window_s)


def learned_hashes(outlet: str, paragraphs: list[str], article_id: str, lines: Mapping[LineKey, Sightings],
                   now: float, min_articles: int, window_s: float) -> set[str]:
    """Hashes of this article's lines that other articles of the outlet have taught as furniture."""
    found: set[str] = set()
    for paragraph in paragraphs:
        if len(paragraph) > MAX_LINE_CHARS:
            continue
        digest = line_hash(paragraph)
        others = {a for a, _ in _recent(lines.get(line_key(outlet, digest)), now, window_s) if a != article_id}
        if len(others) >= min_articles:
            found.add(digest)
    return found


def short_line_hashes(paragraphs: list[str]) -> list[str]:
    """The hashes of an article's short lines, each once, in order: what it can teach."""
    return list(dict.fromkeys(line_hash(p) for p in paragraphs if len(p) <= MAX_LINE_CHARS))


def record(outlet: str, digests: list[str], article_id: str, lines: Mapping[LineKey, Sightings],
           now: float, min_articles: int, window_s: float) -> dict[LineKey, Sightings]:
    """The writes that count this article's short lines (`short_line_hashes`; at most K+1 recent ids kept)."""
    outlet = sys.intern(outlet)  # one string per outlet, however many keys hold it
    updates: dict[LineKey, Sightings] = {}
    for digest in digests:
        key = line_key(outlet, digest)
        pairs = tuple(p for p in _recent(lines.get(key), now, window_s) if p[0] != article_id)
        updates[key] = (*pairs, (article_id, now))[-(min_articles + 1):]
    return updates


def teaching_order(seen: Iterable[tuple[str, Mapping[str, Any]]]) -> list[tuple[str, Mapping[str, Any]]]:
    """The `clean-seen` entries that taught lines (an outlet and line hashes), oldest first."""
    taught = [(article_id, entry) for article_id, entry in seen if entry.get("outlet") and entry.get("lines")]
    return sorted(taught, key=lambda item: (float(item[1].get("seen_at", 0.0)), item[0]))


def replay(lines: dict[LineKey, Sightings], taught: Iterable[tuple[str, Mapping[str, Any]]], min_articles: int,
           window_s: float) -> dict[LineKey, Sightings]:
    """Count again, into `lines`, the sightings of entries in teaching order (`teaching_order`); returns `lines`."""
    for article_id, entry in taught:
        lines.update(record(entry["outlet"], list(entry["lines"]), article_id, lines,
                            float(entry.get("seen_at", 0.0)), min_articles, window_s))
    return lines


def expired(items: list[tuple[LineKey, Sightings]], now: float, window_s: float) -> list[LineKey]:
    """Keys whose every sighting is older than the window: deleting them keeps the mapping bounded."""
    return [key for key, sightings in items if not _recent(sightings, now, window_s)]
