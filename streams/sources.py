"""Articles from files, for `claimstream produce` and `claimstream extract`: .txt (first non-empty line
is the title), .html/.htm, .json (an object or a list of them), .jsonl, directories, and '-' for stdin.
A file's article id is its file name unless the file carries one."""

from __future__ import annotations

import codecs
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import charset_normalizer
import orjson

TEXT_SUFFIXES = {".txt", ".text", ".md"}
HTML_SUFFIXES = {".html", ".htm"}
JSON_SUFFIXES = {".json"}
JSONL_SUFFIXES = {".jsonl", ".ndjson"}
UTF8_BOM = b"\xef\xbb\xbf"
KNOWN_SUFFIXES = TEXT_SUFFIXES | HTML_SUFFIXES | JSON_SUFFIXES | JSONL_SUFFIXES


@dataclass(frozen=True)
class Loaded:
    """One article read from `origin` (a path, 'path:line' or '-'), or the error that prevented it."""

    origin: str
    article: dict[str, Any] | None = None
    error: str | None = None


def expand(paths: list[str]) -> list[str]:
    """Directories become their article files (recursively, sorted); '-' and files stay as given."""
    out: list[str] = []
    for p in paths:
        path = Path(p)
        if p != "-" and path.is_dir():
            out += [str(f) for f in sorted(path.rglob("*")) if f.is_file() and f.suffix.lower() in KNOWN_SUFFIXES]
        else:
            out.append(p)
    return out


# What browsers do (WHATWG Encoding): a page labelled Latin-1 or ASCII is read as Windows-1252.
WHATWG_ALIASES = {"iso-8859-1": "cp1252", "latin-1": "cp1252", "latin1": "cp1252", "l1": "cp1252",
                  "us-ascii": "cp1252", "ascii": "cp1252", "iso8859-1": "cp1252", "windows-1252": "cp1252"}
META_CHARSET = re.compile(rb"""<meta[^>]{1,500}?charset\s*=\s*["']?\s*([A-Za-z0-9_:.-]+)""", re.IGNORECASE)


def declared_charset(data: bytes) -> str | None:
    """The charset a page declares in its first bytes (<meta charset> or http-equiv), if any."""
    match = META_CHARSET.search(data[:4096])
    if not match:
        return None
    name = match.group(1).decode("ascii", "ignore").lower()
    name = WHATWG_ALIASES.get(name, name)
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def decode_bytes(data: bytes) -> str:
    """Text from bytes of unknown encoding, never failing: valid UTF-8 is UTF-8 (whatever a page claims);
    else the page's declared charset when the bytes fit it; else charset-normalizer's best guess; else
    Windows-1252, which maps every byte."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    declared = declared_charset(data)
    if declared:
        try:
            return data.decode(declared)
        except UnicodeDecodeError:
            pass
    matches = list(charset_normalizer.from_bytes(data))
    if matches:
        # Least chaos, then most coherent; on a tie (short samples say little) the likeliest legacy
        # encoding of European news pages, Windows-1252.
        best = min(matches, key=lambda m: (m.chaos, -m.coherence, m.encoding != "cp1252"))
        return str(best)
    return data.decode("cp1252", errors="replace")


def text_article(article_id: str, text: str) -> dict[str, Any]:
    lines = text.replace("\r\n", "\n").split("\n")
    first = next((i for i, line in enumerate(lines) if line.strip()), None)
    if first is None:
        return {"id": article_id, "text": ""}
    return {"id": article_id, "title": lines[first].strip(), "text": "\n".join(lines[first + 1:])}


def read(origin: str) -> Iterator[Loaded]:
    """Every article in one path (or stdin)."""
    if origin == "-":
        yield from _read_stream("-", sys.stdin.buffer.read())
        return
    path = Path(origin)
    try:
        data = path.read_bytes()
    except OSError as exc:
        yield Loaded(origin, error=f"cannot read: {exc.strerror or exc}")
        return
    suffix = path.suffix.lower()
    if suffix in HTML_SUFFIXES:
        yield Loaded(origin, {"id": path.name, "html": decode_bytes(data)})
    elif suffix in JSON_SUFFIXES:
        yield from _json_articles(origin, path.name, data)
    elif suffix in JSONL_SUFFIXES:
        yield from _jsonl_articles(origin, path.name, data)
    else:
        yield Loaded(origin, text_article(path.name, decode_bytes(data)))


def _read_stream(origin: str, data: bytes) -> Iterator[Loaded]:
    """stdin: a JSON document, JSON lines, or else plain text ("[VIDEO] Kiev …" is a title, not JSON)."""
    stripped = data.removeprefix(UTF8_BOM).strip()
    if stripped.startswith((b"{", b"[")):
        try:
            orjson.loads(stripped)
            yield from _json_articles(origin, "stdin", stripped)
            return
        except orjson.JSONDecodeError:
            lines = [x for x in stripped.splitlines() if x.strip()]
            if all(x.lstrip().startswith(b"{") for x in lines):
                yield from _jsonl_articles(origin, "stdin", stripped)
                return
    yield Loaded(origin, text_article("stdin", decode_bytes(data)))


def _with_id(obj: Any, default_id: str) -> dict[str, Any] | None:
    if not isinstance(obj, dict):
        return None
    return obj if obj.get("id") else {**obj, "id": default_id}


def _json_articles(origin: str, name: str, data: bytes) -> Iterator[Loaded]:
    try:
        parsed = orjson.loads(data.removeprefix(UTF8_BOM))
    except orjson.JSONDecodeError as exc:
        yield Loaded(origin, error=f"invalid JSON: {exc}")
        return
    items = parsed if isinstance(parsed, list) else [parsed]
    for i, item in enumerate(items):
        article = _with_id(item, name if len(items) == 1 else f"{name}#{i + 1}")
        if article is None:
            yield Loaded(f"{origin}[{i}]", error="not a JSON object")
        else:
            yield Loaded(origin, article)


def _jsonl_articles(origin: str, name: str, data: bytes) -> Iterator[Loaded]:
    for n, line in enumerate(data.removeprefix(UTF8_BOM).splitlines(), start=1):
        if not line.strip():
            continue
        try:
            article = _with_id(orjson.loads(line), f"{name}:{n}")
        except orjson.JSONDecodeError as exc:
            yield Loaded(f"{origin}:{n}", error=f"invalid JSON: {exc}")
            continue
        if article is None:
            yield Loaded(f"{origin}:{n}", error="not a JSON object")
        else:
            yield Loaded(f"{origin}:{n}", article)
