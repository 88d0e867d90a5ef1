"""streams/codecs.py: the untrusted boundary (decode_raw_article), the schemas, and the record round trip."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import orjson
import pytest
from jsonschema import Draft202012Validator

from streams import codecs
from streams.records import ActorClaims, CleanArticle, RawArticle
from streams.stages.rejected import Rejected

MAX = 2_000_000
REPO = Path(__file__).resolve().parents[2]


def decode(obj: Any, max_bytes: int = MAX) -> RawArticle | Rejected:
    return codecs.decode_raw_article(orjson.dumps(obj), max_bytes)


def reason(result: RawArticle | Rejected) -> str:
    assert isinstance(result, Rejected), f"expected a rejection, got {result!r}"
    assert result.detail, "a rejection says what was wrong"
    return result.reason


# --- accepted articles ----------------------------------------------------------------------------------


def test_valid_article_becomes_a_raw_article() -> None:
    article = {
        "id": "a-1",
        "url": "https://example.test/a",
        "outlet": "example.test",
        "published_at": "2026-11-20T09:30:00Z",
        "lang": "it",
        "title": "Titolo",
        "text": "Il testo dell'articolo.",
    }
    result = decode(article)
    assert isinstance(result, RawArticle)
    assert result.to_representation() == {**article, "html": None}


def test_html_only_article_is_accepted() -> None:
    result = decode({"id": "h", "html": "<html><body><p>Ciao</p></body></html>"})
    assert isinstance(result, RawArticle)
    assert result.html == "<html><body><p>Ciao</p></body></html>"
    assert result.text is None


def test_blank_text_with_html_is_accepted() -> None:
    result = decode({"id": "h", "text": "  ", "html": "<p>Ciao</p>"})
    assert isinstance(result, RawArticle)
    assert result.html == "<p>Ciao</p>"


def test_extra_unknown_keys_are_accepted_and_dropped() -> None:
    result = decode({"id": "x", "text": "hello", "section": "world", "tags": ["a"], "score": 3})
    assert isinstance(result, RawArticle)
    assert result.id == "x"
    assert result.text == "hello"
    assert "section" not in result.to_representation()


@pytest.mark.parametrize(
    "published_at", ["2026-11-20T09:30:00Z", "2026-11-20T09:30:00+01:00", "2026-11-20T09:30:00.123456+00:00"]
)
def test_iso_published_at_is_accepted(published_at: str) -> None:
    result = decode({"id": "x", "text": "hello", "published_at": published_at})
    assert isinstance(result, RawArticle)
    assert result.published_at == published_at


def test_null_optional_fields_are_accepted() -> None:
    result = decode({"id": "x", "text": "hello", "url": None, "lang": None, "published_at": None})
    assert isinstance(result, RawArticle)
    assert result.published_at is None


def test_payload_exactly_at_the_limit_is_accepted() -> None:
    payload = orjson.dumps({"id": "x", "text": "a" * 100})
    assert isinstance(codecs.decode_raw_article(payload, len(payload)), RawArticle)
    assert reason(codecs.decode_raw_article(payload, len(payload) - 1)) == "oversized"


def test_bundled_json_sample_is_accepted() -> None:
    payload = (REPO / "streams" / "samples" / "en-summit.json").read_bytes()
    result = codecs.decode_raw_article(payload, MAX)
    assert isinstance(result, RawArticle)
    assert result.id == "en-summit-0001"
    assert result.published_at == "2026-11-20T09:30:00Z"


# --- rejected articles ----------------------------------------------------------------------------------


@pytest.mark.parametrize("payload", [b"{bad", b'{"id": "x", "text": "unterminated', b"{'id': 'x'}", b"[1,"])
def test_invalid_json(payload: bytes) -> None:
    assert reason(codecs.decode_raw_article(payload, MAX)) == "invalid_json"


@pytest.mark.parametrize(
    "payload",
    [
        b'{"id":"x","text":"\xff\xfe"}',  # bytes that are never UTF-8
        b'{"id":"x","text":"caf\xe9"}',  # Latin-1 e-acute
        b'{"id":"x","text":"\xc3"}',  # a truncated two-byte sequence
        b"\xff{bad",  # invalid UTF-8 *and* invalid JSON: the encoding is the first problem
    ],
)
def test_invalid_utf8(payload: bytes) -> None:
    result = codecs.decode_raw_article(payload, MAX)
    assert reason(result) == "invalid_utf8"
    assert "utf-8" in result.detail.lower()  # type: ignore[union-attr]


def test_utf8_bom_is_not_reported_as_invalid_utf8() -> None:
    payload = b"\xef\xbb\xbf" + orjson.dumps({"id": "x", "text": "hello"})
    assert b"\xef\xbb\xbf".decode("utf-8") == "\ufeff"  # the bytes are valid UTF-8
    result = codecs.decode_raw_article(payload, MAX)
    assert isinstance(result, RawArticle) or result.reason == "invalid_json"


@pytest.mark.parametrize(
    ("obj", "kind"),
    [([{"id": "x", "text": "t"}], "list"), (3, "int"), (None, "NoneType"), ("text", "str"), (True, "bool")],
)
def test_json_that_is_not_an_object_is_a_schema_violation(obj: Any, kind: str) -> None:
    result = decode(obj)
    assert reason(result) == "schema_violation"
    assert kind in result.detail  # type: ignore[union-attr]


def test_missing_id_is_a_schema_violation() -> None:
    result = decode({"text": "hello", "title": "t"})
    assert reason(result) == "schema_violation"
    assert "'id'" in result.detail  # type: ignore[union-attr]


@pytest.mark.parametrize("bad_id", [5, None, ["x"], {"v": "x"}, ""])
def test_id_that_is_not_a_non_empty_string_is_a_schema_violation(bad_id: Any) -> None:
    result = decode({"id": bad_id, "text": "hello"})
    assert reason(result) == "schema_violation"
    assert result.detail.startswith("id:")  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "article",
    [
        {"id": "x", "text": ""},
        {"id": "x"},
        {"id": "x", "text": None, "html": None},
        {"id": "x", "text": "", "html": ""},
        {"id": "x", "title": "only a title"},
    ],
)
def test_no_text_and_no_html_is_no_content(article: dict[str, Any]) -> None:
    assert reason(decode(article)) == "no_content"


@pytest.mark.parametrize("blank", [" ", "   \n\t  ", "\n\n", "\u3000"])
def test_whitespace_only_text_is_no_content(blank: str) -> None:
    assert reason(decode({"id": "x", "text": blank})) == "no_content"
    assert reason(decode({"id": "x", "html": blank})) == "no_content"


def test_oversized_message() -> None:
    result = decode({"id": "x", "text": "a" * 3000}, max_bytes=1000)
    assert reason(result) == "oversized"


def test_size_is_checked_before_parsing() -> None:
    payload = b"{" * 3_000_000  # 3 MB of invalid JSON
    assert reason(codecs.decode_raw_article(payload, 2 * 1024 * 1024)) == "oversized"
    bad_utf8 = b"\xff" * 3_000_000
    assert reason(codecs.decode_raw_article(bad_utf8, 2 * 1024 * 1024)) == "oversized"


@pytest.mark.parametrize("payload", [None, b"", b"   ", b"\n"])
def test_empty_message(payload: bytes | None) -> None:
    assert reason(codecs.decode_raw_article(payload, MAX)) == "empty_message"


@pytest.mark.parametrize("published_at", ["yesterday", "20/11/2026", "2026-13-45T09:30:00Z", ""])
def test_unparsable_published_at_is_a_schema_violation(published_at: str) -> None:
    result = decode({"id": "x", "text": "hello", "published_at": published_at})
    assert reason(result) == "schema_violation"
    assert "published_at" in result.detail  # type: ignore[union-attr]


def test_published_at_of_the_wrong_type_is_a_schema_violation() -> None:
    assert reason(decode({"id": "x", "text": "hello", "published_at": 1763631000})) == "schema_violation"


def test_bare_date_is_not_a_date_time() -> None:
    assert reason(decode({"id": "x", "text": "hello", "published_at": "2026-11-20"})) == "schema_violation"


@pytest.mark.parametrize("lang", ["ITA", "ita", "i", "it-IT", 1])
def test_lang_that_is_not_iso_639_1_is_a_schema_violation(lang: Any) -> None:
    result = decode({"id": "x", "text": "hello", "lang": lang})
    assert reason(result) == "schema_violation"
    assert "lang" in result.detail  # type: ignore[union-attr]


@pytest.mark.parametrize("field", ["url", "outlet", "title", "text", "html"])
def test_non_string_optional_field_is_a_schema_violation(field: str) -> None:
    article: dict[str, Any] = {"id": "x", "text": "hello", "html": "<p>hi</p>", field: 42}
    assert reason(decode(article)) == "schema_violation"


# --- schemas --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", codecs.SCHEMA_FILES)
def test_every_schema_is_a_valid_draft_2020_12_schema(name: str) -> None:
    schema = codecs.load_schema(name)
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"].endswith(name)


@pytest.mark.parametrize("name", codecs.SCHEMA_FILES)
def test_packaged_schemas_match_the_published_contract(name: str) -> None:
    """schemas/ is what downstream consumers read; streams/schemas/ is what the code validates with."""
    published = json.loads((REPO / "schemas" / name).read_text(encoding="utf-8"))
    assert codecs.load_schema(name) == published


def test_every_published_schema_is_in_schema_files() -> None:
    assert sorted(p.name for p in (REPO / "schemas").glob("*.json")) == sorted(codecs.SCHEMA_FILES)


@pytest.mark.parametrize("name", codecs.SCHEMA_FILES)
def test_schema_errors_on_an_empty_object(name: str) -> None:
    errors = codecs.schema_errors(name, {})
    assert errors, f"{name} accepts an empty object"
    assert all(e.startswith("<root>: ") for e in errors)


def test_schema_errors_names_the_path() -> None:
    errors = codecs.schema_errors("raw-article.schema.json", {"id": "x", "text": "t", "lang": "ITA"})
    assert errors == ["lang: 'ITA' does not match '^[A-Za-z]{2}$'"]
    assert codecs.schema_errors("raw-article.schema.json", {"id": "x", "text": "t"}) == []


# --- records on the wire --------------------------------------------------------------------------------


def clean_article(**changes: Any) -> CleanArticle:
    fields: dict[str, Any] = dict(
        id="it-corea-truppe.txt", url="https://example.test/a", outlet="example.test",
        published_at="2026-11-20T09:30:00Z", lang="it", lang_supported=True,
        title="Corea del Nord, altri 3.000 soldati inviati in Russia",
        body="SEUL – Sembra che la Corea del Nord abbia inviato almeno 3.000 soldati.\n\n"
        "Secondo Seul, così è.",
        duplicate_of=None, ingested_at="2026-11-23T10:00:00+00:00", boilerplate_removed=3, boilerplate_learned=0,
    )
    fields.update(changes)
    return CleanArticle(**fields)


def test_clean_article_round_trip() -> None:
    article = clean_article()
    payload = codecs.encode(article)
    assert isinstance(payload, bytes)
    decoded = codecs.decode(CleanArticle, payload)
    assert isinstance(decoded, CleanArticle)
    assert decoded == article
    assert decoded.to_representation() == article.to_representation()
    assert codecs.encode(decoded) == payload


def test_clean_article_round_trip_with_nulls_and_non_ascii() -> None:
    article = clean_article(url=None, outlet=None, published_at=None, lang=None, lang_supported=False,
                            duplicate_of="other.txt", body="Perché «così» — 東京 🙂")
    decoded = codecs.decode(CleanArticle, codecs.encode(article))
    assert decoded == article


def test_encoded_clean_article_is_plain_json_valid_against_its_schema() -> None:
    payload = codecs.encode(clean_article())
    data = json.loads(payload)  # no Faust metadata on the wire
    assert "__faust" not in data
    assert codecs.schema_errors(CleanArticle.schema, data) == []


def test_encode_accepts_a_plain_dict() -> None:
    data = orjson.loads(codecs.encode({"a": 1, "b": [clean_article()]}))
    assert data["b"][0]["id"] == "it-corea-truppe.txt"


def test_decode_rejects_instead_of_raising() -> None:
    assert reason(codecs.decode(CleanArticle, None)) == "empty_message"
    assert reason(codecs.decode(CleanArticle, b"{not json")) == "invalid_json"
    broken = clean_article().to_representation()
    del broken["body"]
    assert reason(codecs.decode(CleanArticle, orjson.dumps(broken))) == "schema_violation"



def test_records_between_stages_are_shape_checked() -> None:
    """Internal hops check shape only (the contract tests validate what the stages write)."""
    event = ActorClaims(actor_id="PRK", at=1_763_000_000.0, claims=[
        {"claim_id": "c1", "type": "deployment", "certainty": "reported", "article_id": "a1",
         "source": "agency.example", "source_name": None, "duplicate_of": None, "quantity": None}])
    assert codecs.decode(ActorClaims, codecs.encode(event)) == event
    missing = codecs.decode(ActorClaims, orjson.dumps({"actor_id": "PRK", "at": 1.0}))
    assert isinstance(missing, Rejected) and missing.reason == "schema_violation"
    assert "missing required" in missing.detail and "'claims'" in missing.detail
    not_object = codecs.decode(ActorClaims, b"[1, 2]")
    assert isinstance(not_object, Rejected) and not_object.reason == "schema_violation"
