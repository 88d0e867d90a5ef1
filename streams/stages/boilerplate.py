"""Learned boilerplate: a short line seen in at least K distinct articles of one outlet within a window is
that outlet's furniture from then on. New outlets need no configuration. The counts live in a table the
agent owns (keyed "<outlet>|<line hash>"); these functions only read it and say what to write."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

MAX_LINE_CHARS = 200  # furniture is short; long paragraphs are never learned


def line_hash(line: str) -> str:
    return hashlib.sha1(" ".join(line.lower().split()).encode("utf-8")).hexdigest()[:16]


def line_key(outlet: str, digest: str) -> str:
    return f"{outlet}|{digest}"


def _recent(entry: Mapping[str, Any] | None, now: float, window_s: float) -> list[list[Any]]:
    """The [article_id, seen_at] pairs of a line still inside the window."""
    if not entry:
        return []
    return [pair for pair in entry.get("seen", []) if now - float(pair[1]) <= window_s]


def learned_hashes(outlet: str, paragraphs: list[str], article_id: str, lines: Mapping[str, Mapping[str, Any]],
                   now: float, min_articles: int, window_s: float) -> set[str]:
    """Hashes of this article's lines that other articles of the outlet have taught as furniture."""
    found: set[str] = set()
    for paragraph in paragraphs:
        if len(paragraph) > MAX_LINE_CHARS:
            continue
        digest = line_hash(paragraph)
        others = {str(a) for a, _ in _recent(lines.get(line_key(outlet, digest)), now, window_s) if a != article_id}
        if len(others) >= min_articles:
            found.add(digest)
    return found


def record(outlet: str, paragraphs: list[str], article_id: str, lines: Mapping[str, Mapping[str, Any]],
           now: float, min_articles: int, window_s: float) -> dict[str, dict[str, Any]]:
    """The table writes that count this article's short lines (each line once; at most K+1 recent ids kept)."""
    updates: dict[str, dict[str, Any]] = {}
    for digest in dict.fromkeys(line_hash(p) for p in paragraphs if len(p) <= MAX_LINE_CHARS):
        key = line_key(outlet, digest)
        pairs = [p for p in _recent(lines.get(key), now, window_s) if p[0] != article_id]
        pairs.append([article_id, now])
        updates[key] = {"seen": pairs[-(min_articles + 1):]}
    return updates


def expired(items: list[tuple[str, Mapping[str, Any]]], now: float, window_s: float) -> list[str]:
    """Keys whose every sighting is older than the window: deleting them keeps the table bounded."""
    return [key for key, entry in items if not _recent(entry, now, window_s)]
