"""Language knowledge as data: one JSON file per supported language (it.json, en.json, ...)."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

LangData = dict[str, Any]


@cache
def supported_languages() -> tuple[str, ...]:
    files = resources.files("streams.lang").iterdir()
    return tuple(sorted(f.name[:-5] for f in files if f.name.endswith(".json")))


@cache
def load(lang: str) -> LangData:
    """The language file for `lang` (ISO 639-1). KeyError when the language is not supported."""
    if lang not in supported_languages():
        raise KeyError(f"unsupported language {lang!r}; supported: {', '.join(supported_languages())}")
    text = resources.files("streams.lang").joinpath(f"{lang}.json").read_text(encoding="utf-8")
    data: LangData = json.loads(text)
    return data
