"""streams/sources.py: articles from files (.txt, .html, .json, .jsonl, directories, stdin)."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import orjson
import pytest

from streams import sources
from streams.sources import Loaded


def read_all(path: Path | str) -> list[Loaded]:
    return list(sources.read(str(path)))


def one(path: Path | str) -> dict[str, object]:
    loaded = read_all(path)
    assert len(loaded) == 1, loaded
    assert loaded[0].error is None, loaded[0].error
    assert loaded[0].article is not None
    return loaded[0].article


# --- .txt -----------------------------------------------------------------------------------------------


def test_txt_title_is_first_non_empty_line_and_id_is_file_name(tmp_path: Path) -> None:
    path = tmp_path / "my-article.txt"
    path.write_text("\n\n   \n  Il titolo  \n\nPrimo paragrafo.\n\nSecondo paragrafo.\n", encoding="utf-8")
    article = one(path)
    assert article["id"] == "my-article.txt"
    assert article["title"] == "Il titolo"
    assert article["text"] == "\nPrimo paragrafo.\n\nSecondo paragrafo.\n"
    assert "html" not in article


def test_txt_with_windows_line_endings(tmp_path: Path) -> None:
    path = tmp_path / "crlf.txt"
    path.write_bytes(b"Title\r\n\r\nBody line.\r\n")
    article = one(path)
    assert article["title"] == "Title"
    assert "\r" not in str(article["text"])
    assert "Body line." in str(article["text"])


def test_txt_with_a_utf8_bom(tmp_path: Path) -> None:
    path = tmp_path / "bom.txt"
    path.write_bytes("\ufeffTitolo\n\nCorpo: perché".encode())
    article = one(path)
    assert article["title"] == "Titolo"
    assert article["text"] == "\nCorpo: perché"


def test_empty_txt_has_no_title_and_empty_text(tmp_path: Path) -> None:
    path = tmp_path / "empty.txt"
    path.write_text("\n  \n", encoding="utf-8")
    assert one(path) == {"id": "empty.txt", "text": ""}


@pytest.mark.parametrize("suffix", [".text", ".md", ".TXT", ".unknown"])
def test_other_suffixes_are_read_as_text(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"a{suffix}"
    path.write_text("T\nB", encoding="utf-8")
    assert one(path) == {"id": f"a{suffix}", "title": "T", "text": "B"}


def test_cp1252_bytes_decode_without_crashing(tmp_path: Path) -> None:
    path = tmp_path / "windows.txt"
    # "Café “citato”" in Windows-1252, then a euro sign and 0x81, which cp1252 leaves undefined
    path.write_bytes(b"Caf\xe9 \x93citato\x94\n\nPrezzo 5 \x80 \x81 fine")
    article = one(path)
    assert article["title"] == "Café “citato”"
    text = str(article["text"])
    assert "Prezzo 5 € " in text
    assert text.endswith(" fine")


# --- .html ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", [".html", ".htm", ".HTML"])
def test_html_goes_to_the_html_field(tmp_path: Path, suffix: str) -> None:
    page = "<html><head><title>T</title></head><body><p>perché</p></body></html>"
    path = tmp_path / f"page{suffix}"
    path.write_text(page, encoding="utf-8")
    assert one(path) == {"id": f"page{suffix}", "html": page}


def test_cp1252_html_decodes(tmp_path: Path) -> None:
    path = tmp_path / "old.html"
    path.write_bytes(b"<p>Citt\xe0</p>")
    assert one(path)["html"] == "<p>Città</p>"


# --- .json ----------------------------------------------------------------------------------------------


def test_json_object_keeps_its_own_id(tmp_path: Path) -> None:
    path = tmp_path / "a.json"
    path.write_bytes(orjson.dumps({"id": "own-id", "text": "t", "lang": "en"}))
    assert one(path) == {"id": "own-id", "text": "t", "lang": "en"}


@pytest.mark.parametrize("obj", [{"text": "t"}, {"id": "", "text": "t"}, {"id": None, "text": "t"}])
def test_json_object_without_id_gets_the_file_name(tmp_path: Path, obj: dict[str, object]) -> None:
    path = tmp_path / "b.json"
    path.write_bytes(orjson.dumps(obj))
    article = one(path)
    assert article["id"] == "b.json"
    assert article["text"] == "t"


def test_bundled_json_sample_keeps_its_id() -> None:
    sample = Path(__file__).resolve().parents[2] / "streams" / "samples" / "en-summit.json"
    assert one(sample)["id"] == "en-summit-0001"


def test_json_list(tmp_path: Path) -> None:
    path = tmp_path / "many.json"
    path.write_bytes(orjson.dumps([{"id": "first", "text": "1"}, {"text": "2"}, {"text": "3"}]))
    loaded = read_all(path)
    assert [x.error for x in loaded] == [None, None, None]
    assert [x.article["id"] for x in loaded if x.article] == ["first", "many.json#2", "many.json#3"]
    assert [x.article["text"] for x in loaded if x.article] == ["1", "2", "3"]
    assert {x.origin for x in loaded} == {str(path)}


def test_json_list_of_one_uses_the_file_name(tmp_path: Path) -> None:
    path = tmp_path / "single.json"
    path.write_bytes(orjson.dumps([{"text": "only"}]))
    assert one(path)["id"] == "single.json"


def test_json_list_with_a_non_object_item(tmp_path: Path) -> None:
    path = tmp_path / "mixed.json"
    path.write_bytes(orjson.dumps([{"text": "a"}, 7, {"text": "c"}]))
    loaded = read_all(path)
    assert len(loaded) == 3
    assert loaded[0].article is not None and loaded[2].article is not None
    assert loaded[1].article is None
    assert loaded[1].error == "not a JSON object"
    assert loaded[1].origin == f"{path}[1]"


def test_invalid_json_file_is_one_error(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text('{"id": "x", ', encoding="utf-8")
    loaded = read_all(path)
    assert len(loaded) == 1
    assert loaded[0].article is None
    assert loaded[0].error is not None and loaded[0].error.startswith("invalid JSON")


def test_json_scalar_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "scalar.json"
    path.write_text('"just a string"', encoding="utf-8")
    loaded = read_all(path)
    assert [(x.article, x.error) for x in loaded] == [(None, "not a JSON object")]


@pytest.mark.parametrize("suffix", [".json", ".jsonl"])
def test_json_with_a_utf8_bom_loads(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"bom{suffix}"
    path.write_bytes(b"\xef\xbb\xbf" + orjson.dumps({"id": "bom", "text": "hello"}) + b"\n")
    assert one(path)["id"] == "bom"


# --- .jsonl ---------------------------------------------------------------------------------------------


def test_jsonl_with_a_bad_line(tmp_path: Path) -> None:
    path = tmp_path / "feed.jsonl"
    lines = [
        orjson.dumps({"id": "a", "text": "first"}),
        b"",  # blank lines are skipped
        b"{not json",
        orjson.dumps({"text": "no id here"}),
        b"[1, 2]",
    ]
    path.write_bytes(b"\n".join(lines) + b"\n")
    loaded = read_all(path)
    assert len(loaded) == 4
    good = [x for x in loaded if x.error is None]
    bad = [x for x in loaded if x.error is not None]
    assert [x.article for x in good] == [
        {"id": "a", "text": "first"},
        {"id": "feed.jsonl:4", "text": "no id here"},
    ]
    assert [x.origin for x in good] == [f"{path}:1", f"{path}:4"]
    assert [x.origin for x in bad] == [f"{path}:3", f"{path}:5"]
    assert bad[0].error is not None and bad[0].error.startswith("invalid JSON")
    assert bad[0].article is None
    assert bad[1].error == "not a JSON object"


@pytest.mark.parametrize("suffix", [".jsonl", ".ndjson"])
def test_jsonl_suffixes(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"f{suffix}"
    first, second = orjson.dumps({"id": "1", "text": "a"}), orjson.dumps({"id": "2", "text": "b"})
    path.write_bytes(first + b"\r\n" + second)
    assert [x.article["id"] for x in read_all(path) if x.article] == ["1", "2"]


# --- directories and paths ------------------------------------------------------------------------------


def test_directory_expands_recursively_to_known_suffixes_sorted(tmp_path: Path) -> None:
    files = ["b.txt", "a.html", "c/d.json", "c/e/f.jsonl", "c/e/g.ndjson", "c/h.htm", "z.md", "c/e/i.TXT"]
    ignored = ["notes.csv", "README", "c/image.png", "c/e/data.xml", ".hidden/"]
    for name in files + ignored:
        path = tmp_path / name
        if name.endswith("/"):
            path.mkdir(parents=True, exist_ok=True)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text("x", encoding="utf-8")
    expanded = sources.expand([str(tmp_path)])
    expected = sorted(str(tmp_path / f) for f in files)
    assert expanded == expected


def test_expand_keeps_files_and_stdin_as_given_in_order(tmp_path: Path) -> None:
    (tmp_path / "dir").mkdir()
    (tmp_path / "dir" / "x.txt").write_text("x", encoding="utf-8")
    plain = str(tmp_path / "given.csv")  # a file named explicitly stays, whatever its suffix
    missing = str(tmp_path / "missing.txt")
    assert sources.expand([plain, "-", str(tmp_path / "dir"), missing]) == [
        plain, "-", str(tmp_path / "dir" / "x.txt"), missing,
    ]


def test_empty_directory_expands_to_nothing(tmp_path: Path) -> None:
    assert sources.expand([str(tmp_path)]) == []


def test_missing_path_is_an_error(tmp_path: Path) -> None:
    loaded = read_all(tmp_path / "nope.txt")
    assert len(loaded) == 1
    assert loaded[0].article is None
    assert loaded[0].origin == str(tmp_path / "nope.txt")
    assert loaded[0].error is not None and loaded[0].error.startswith("cannot read")


def test_directory_given_to_read_is_an_error_not_a_crash(tmp_path: Path) -> None:
    loaded = read_all(tmp_path)
    assert len(loaded) == 1
    assert loaded[0].article is None
    assert loaded[0].error is not None and loaded[0].error.startswith("cannot read")


# --- stdin ----------------------------------------------------------------------------------------------


def read_stdin(monkeypatch: pytest.MonkeyPatch, data: bytes) -> list[Loaded]:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))
    return read_all("-")


def test_stdin_text(monkeypatch: pytest.MonkeyPatch) -> None:
    loaded = read_stdin(monkeypatch, b"Titolo\n\nCorpo")
    expected = {"id": "stdin", "title": "Titolo", "text": "\nCorpo"}
    assert [(x.origin, x.article) for x in loaded] == [("-", expected)]


def test_stdin_json_object(monkeypatch: pytest.MonkeyPatch) -> None:
    loaded = read_stdin(monkeypatch, b'  {"id": "s1",\n  "text": "t"}\n')
    assert [x.article for x in loaded] == [{"id": "s1", "text": "t"}]


def test_stdin_jsonl(monkeypatch: pytest.MonkeyPatch) -> None:
    loaded = read_stdin(monkeypatch, b'{"text": "a"}\n{"id": "b", "text": "b"}\n')
    assert [x.article["id"] for x in loaded if x.article] == ["stdin:1", "b"]


def test_stdin_text_with_a_bracketed_title(monkeypatch: pytest.MonkeyPatch) -> None:
    data = b"[VIDEO] Kiev sotto attacco\n\nNella notte droni russi hanno colpito la capitale.\n"
    loaded = read_stdin(monkeypatch, data)
    assert [x.error for x in loaded] == [None]
    assert loaded[0].article is not None
    assert loaded[0].article["title"] == "[VIDEO] Kiev sotto attacco"
