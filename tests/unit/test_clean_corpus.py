"""The cleaning corpus written for this project (tests/data/clean): every page's furniture gone, every content
paragraph kept as written, titles and languages right, syndicated copies flagged and distinct stories not."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest

from streams import codecs
from streams.records import CleanArticle
from streams.sources import read
from streams.stages.clean import CleanMemory, clean
from streams.stages.rejected import Rejected

CORPUS = Path(__file__).resolve().parents[1] / "data" / "clean"
MANIFEST: list[dict[str, Any]] = orjson.loads((CORPUS / "manifest.json").read_bytes())["pages"]
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def expected(name: str) -> tuple[str, list[str]]:
    title, _, body = (CORPUS / "expected" / f"{name}.txt").read_text(encoding="utf-8").partition("\n\n")
    return title.strip(), [p for p in body.strip().split("\n\n") if p]


@pytest.fixture(scope="module")
def cleaned() -> dict[str, CleanArticle]:
    """The whole corpus cleaned in manifest order through one memory, as a stream would see it."""
    memory = CleanMemory()
    out: dict[str, CleanArticle] = {}
    for page in MANIFEST:
        [item] = list(read(str(CORPUS / "pages" / page["file"])))
        assert item.article is not None, item.error
        raw = codecs.decode_raw_article(orjson.dumps({**item.article, "outlet": page["outlet"]}), 2_000_000)
        assert not isinstance(raw, Rejected), raw
        result = clean(raw, NOW, memory)
        assert not isinstance(result, Rejected), (page["file"], result)
        out[page["file"]] = result
    return out


def test_corpus_covers_what_the_issue_asks() -> None:
    files = [p["file"] for p in MANIFEST]
    assert len(files) >= 16
    assert {p["lang"] for p in MANIFEST} == {"it", "en"}
    assert any(f.endswith(".html") for f in files) and any(f.endswith(".txt") for f in files)
    assert any(p["encoding"] != "utf-8" for p in MANIFEST)
    assert sum(1 for p in MANIFEST if p["duplicate_of"]) >= 3
    assert any(p["same_event_as"] for p in MANIFEST)


@pytest.mark.parametrize("page", MANIFEST, ids=lambda p: p["file"])
def test_furniture_is_gone(page: dict[str, Any], cleaned: dict[str, CleanArticle]) -> None:
    article = cleaned[page["file"]]
    for junk in page["boilerplate"]:
        assert junk not in article.body, junk
        assert junk not in article.title, junk


@pytest.mark.parametrize("page", MANIFEST, ids=lambda p: p["file"])
def test_content_is_kept_as_written(page: dict[str, Any], cleaned: dict[str, CleanArticle]) -> None:
    article = cleaned[page["file"]]
    title, paragraphs = expected(page["file"])
    assert article.title == title
    assert article.body.split("\n\n") == paragraphs


@pytest.mark.parametrize("page", MANIFEST, ids=lambda p: p["file"])
def test_language_and_copies(page: dict[str, Any], cleaned: dict[str, CleanArticle]) -> None:
    article = cleaned[page["file"]]
    assert article.lang == page["lang"]
    assert article.lang_supported
    assert article.duplicate_of == page["duplicate_of"]  # None for originals and for same-event stories
