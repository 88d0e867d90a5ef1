"""Locale-aware number parsing: '3.000' is 3000 in Italian, '12,000' is 12000 in English."""

from __future__ import annotations

import re


def parse_number(text: str, decimal: str, group: str) -> float | None:
    """The value of a numeral written with the language's separators, or None when it is not one."""
    t = text.strip()
    if not t or len(t) > 32:
        return None
    g, d = re.escape(group), re.escape(decimal)
    if re.fullmatch(rf"\d{{1,3}}(?:{g}\d{{3}})+(?:{d}\d+)?", t):
        t = t.replace(group, "")
    elif not re.fullmatch(rf"\d+(?:{d}\d+)?", t):
        return None
    try:
        return float(t.replace(decimal, "."))
    except ValueError:
        return None


def looks_like_year(text: str) -> bool:
    """A bare four-digit numeral in a plausible year range: furniture, not a quantity."""
    return bool(re.fullmatch(r"(1[89]|20)\d\d", text.strip()))
