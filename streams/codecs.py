"""orjson on the wire, JSON Schema validation at the untrusted boundary (raw articles); a shape check between stages."""

from __future__ import annotations

import json
import re
from datetime import datetime
from functools import cache
from importlib import resources
from typing import Any, TypeVar

import orjson
from jsonschema import Draft202012Validator
from referencing import Registry, Resource

from streams.records import RawArticle, Record
from streams.stages.rejected import Rejected

R = TypeVar("R", bound=Record)
UTF8_BOM = b"\xef\xbb\xbf"
ISO_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")
SCHEMA_FILES = (
    "raw-article.schema.json", "clean-article.schema.json", "extracted-article.schema.json",
    "enriched-article.schema.json", "claim.schema.json", "claim-link.schema.json",
    "actor-aggregate.schema.json", "deadletter.schema.json", "actor-claims.schema.json",
)


def load_schema(name: str) -> dict[str, Any]:
    text = resources.files("streams").joinpath("schemas", name).read_text(encoding="utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


@cache
def _registry() -> Registry:
    registry: Registry = Registry()
    for name in SCHEMA_FILES:
        schema = load_schema(name)
        registry = registry.with_resource(schema["$id"], Resource.from_contents(schema))
    return registry


@cache
def validator(schema_name: str) -> Draft202012Validator:
    schema = load_schema(schema_name)
    return Draft202012Validator(schema, registry=_registry())


def schema_errors(schema_name: str, data: Any) -> list[str]:
    """Every violation, as 'path: message' lines (empty when valid)."""
    errors = sorted(validator(schema_name).iter_errors(data), key=lambda e: list(e.absolute_path))
    return [f"{'/'.join(map(str, e.absolute_path)) or '<root>'}: {e.message}" for e in errors]


def encode(record: Record | dict[str, Any]) -> bytes:
    data = record.to_representation() if isinstance(record, Record) else record
    return orjson.dumps(data, default=_default)


def _default(obj: Any) -> Any:
    if isinstance(obj, Record):
        return obj.to_representation()
    raise TypeError(f"cannot serialise {type(obj).__name__}")


@cache
def required_fields(schema_name: str) -> tuple[str, ...]:
    return tuple(load_schema(schema_name).get("required", ()))


def decode(cls: type[R], payload: bytes | None) -> R | Rejected:
    """Decode a record written by an earlier stage. Trusted: the worker's own agents wrote it and the contract
    tests validate every record they make against its schema, so only its shape is checked here (an object with
    the schema's required fields). Full JSON Schema validation of every internal hop took a quarter of the
    worker's time (docs/PERFORMANCE.md). A record that is wrong in a deeper way fails in its stage, whose error is
    a dead letter too: never a crash."""
    if payload is None:
        return Rejected("empty_message", "the message has no value")
    try:
        data = orjson.loads(payload)
    except orjson.JSONDecodeError as exc:
        return Rejected("invalid_json", str(exc))
    if not isinstance(data, dict):
        return Rejected("schema_violation", f"<root>: expected a JSON object, got {type(data).__name__}")
    missing = [name for name in required_fields(cls.schema) if name not in data]
    if missing:
        return Rejected("schema_violation", f"<root>: missing required {', '.join(map(repr, missing))}")
    try:
        return cls.from_data(data)
    except (TypeError, ValueError, KeyError, AttributeError) as exc:
        return Rejected("schema_violation", f"{type(exc).__name__}: {exc}")


def decode_raw_article(payload: bytes | None, max_bytes: int) -> RawArticle | Rejected:
    """The untrusted boundary: size cap, UTF-8, JSON, schema, timestamp — in that order."""
    if payload is None or not payload.strip():
        return Rejected("empty_message", "the message has no value")
    if len(payload) > max_bytes:
        return Rejected("oversized", f"{len(payload)} bytes > limit {max_bytes}")
    payload = payload.removeprefix(UTF8_BOM)
    try:
        data = orjson.loads(payload)  # orjson rejects invalid UTF-8 as well
    except orjson.JSONDecodeError as exc:
        reason = "invalid_utf8" if "not valid utf-8" in str(exc).lower() else "invalid_json"
        return Rejected(reason, str(exc))
    if not isinstance(data, dict):
        return Rejected("schema_violation", f"expected a JSON object, got {type(data).__name__}")
    errors = schema_errors(RawArticle.schema, data)
    if errors and not _has_content(data) and all(e.startswith("<root>") for e in errors):
        return Rejected("no_content", "the article has neither a non-empty 'text' nor 'html'")
    if errors:
        return Rejected("schema_violation", "; ".join(errors[:5]))
    published_at = data.get("published_at")
    if published_at is not None and not is_iso_datetime(published_at):
        return Rejected("schema_violation", f"published_at: {published_at!r} is not an ISO 8601 date-time")
    return RawArticle(id=data["id"], url=data.get("url"), outlet=data.get("outlet"),
                      published_at=published_at, lang=data.get("lang"), title=data.get("title"),
                      text=data.get("text"), html=data.get("html"))


def _has_content(data: dict[str, Any]) -> bool:
    return any(isinstance(data.get(k), str) and data[k].strip() for k in ("text", "html"))


def is_iso_datetime(value: Any) -> bool:
    """An ISO 8601 date *and* time ('2026-11-20T09:30:00Z'); a bare date is not a moment."""
    if not isinstance(value, str) or not ISO_DATETIME.match(value):
        return False
    try:
        datetime.fromisoformat(value)
    except ValueError:
        return False
    return True
