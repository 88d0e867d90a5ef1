"""Poison pills interleaved with valid articles: every bad message is on `deadletter` with its reason and
origin, every valid article produces its claims, and the worker never restarts."""

from __future__ import annotations

import subprocess
import sys
import time
from typing import Any

import orjson
import pytest

from tests.integration.conftest import SAMPLES, Worker, consume, produce

pytestmark = pytest.mark.integration

GERMAN = ("Der Bundestag hat am Donnerstag mit großer Mehrheit ein neues Gesetz zur Energieversorgung beschlossen. "
          "Nach Angaben der Regierung sollen die Preise für Haushalte im kommenden Winter deutlich sinken, während "
          "die Opposition den Entwurf als unzureichend kritisierte und weitere Änderungen forderte.")

# (name, raw value or None for a tombstone, expected reason, stage that rejects it)
PILLS: list[tuple[str, bytes | None, str, str]] = [
    ("invalid json", b'{"id": "p1", "text": "unterminated', "invalid_json", "clean"),
    ("json of the wrong shape", b'[1, 2, 3]', "schema_violation", "clean"),
    ("wrong types", orjson.dumps({"id": 7, "text": ["not", "a", "string"]}), "schema_violation", "clean"),
    ("missing id", orjson.dumps({"title": "Senza id", "text": "Un testo qualsiasi senza identificativo."}),
     "schema_violation", "clean"),
    ("invalid utf-8", b'{"id": "p5", "text": "caff\xe8 \xff\xfe"}', "invalid_utf8", "clean"),
    ("20 MB payload", orjson.dumps({"id": "p6", "text": "parola " * (20 * 1024 * 1024 // 7)}), "oversized", "clean"),
    ("empty text", orjson.dumps({"id": "p7", "title": "Vuoto", "text": "   \n  "}), "no_content", "clean"),
    ("deeply nested json", b'{"id": "p8", "text": ' + b"[" * 5000 + b"]" * 5000 + b"}", "invalid_json", "clean"),
    ("html bomb, deep", orjson.dumps({"id": "p9", "html": "<div>" * 150_000 + "x" + "</div>" * 150_000}),
     "no_content", "clean"),
    ("html bomb, wide", orjson.dumps({"id": "p10", "html": "<p></p>" * 250_000}), "no_content", "clean"),
    ("null value", None, "empty_message", "clean"),
    ("json null", b"null", "schema_violation", "clean"),
    ("unsupported language", orjson.dumps({"id": "p13", "title": "Energie", "text": GERMAN}),
     "unsupported_language", "extract"),
    ("bad published_at", orjson.dumps({"id": "p14", "text": "Testo.", "published_at": "ieri sera"}),
     "schema_violation", "clean"),
]


def valid_articles() -> list[bytes]:
    out = []
    for path in sorted(p for p in SAMPLES.iterdir() if p.suffix == ".txt"):
        title, _, body = path.read_text(encoding="utf-8").partition("\n")
        out.append(orjson.dumps({"id": f"good-{path.stem}", "outlet": f"{path.stem}.example", "title": title,
                                 "text": body}))
    return out


def test_every_poison_pill_is_a_dead_letter_and_every_valid_article_makes_claims(worker: Worker) -> None:
    assert worker.proc is not None
    pid = worker.proc.pid
    good = valid_articles()
    values: list[bytes | None] = []
    for n, (_, pill, _, _) in enumerate(PILLS):  # interleaved: good, pill, pill, good, ...
        if n % 2 == 0:
            values.append(good[(n // 2) % len(good)])
        values.append(pill)
    values += good  # and every good one at least once after all the pills
    raw = worker.topic("articles.raw")
    keys: list[bytes | None] = [f"key-{n}".encode() for n in range(len(values))]  # a null value needs a key
    produce(worker.broker, raw, values, keys)  # type: ignore[arg-type]  # None: a null value (tombstone)

    good_ids = {orjson.loads(g)["id"] for g in good}
    claims = consume(worker.broker, worker.topic("claims"), timeout_s=180,
                     until=lambda rs: good_ids <= {c["article_id"] for c in rs})
    assert good_ids <= {c["article_id"] for c in claims}

    def letter(message: Any) -> dict[str, Any]:
        return {"value": message.value, "headers": {k: v.decode() for k, v in message.headers}}

    letters = consume(worker.broker, worker.topic("deadletter"), timeout_s=120, decode=letter,
                      until=lambda rs: len(rs) >= len(PILLS))
    by_reason: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for item in letters:
        by_reason.setdefault((item["headers"]["x-dlq-reason"], item["headers"]["x-dlq-stage"]), []).append(item)
    for name, pill, reason, stage in PILLS:
        found = [x for x in by_reason.get((reason, stage), [])
                 if x["value"] == pill or (pill is not None and "x-dlq-truncated-from" in x["headers"]
                                           and pill.startswith(x["value"] or b""))
                 or (stage == "extract" and x["value"] and b'"p13"' in x["value"])]
        assert found, f"{name}: no dead letter with reason {reason} from {stage}; got {sorted(by_reason)}"
        headers = found[0]["headers"]
        assert headers["x-dlq-detail"], name
        assert int(headers["x-dlq-origin-offset"]) >= 0 and headers["x-dlq-origin-topic"].startswith(worker.prefix)
    assert len(letters) == len(PILLS), [x["headers"]["x-dlq-reason"] for x in letters]
    big = [x for x in letters if int(x["headers"].get("x-dlq-truncated-from", 0)) > 20_000_000]
    assert len(big) == 1 and len(big[0]["value"]) == 512 * 1024  # the 20 MB pill, cut; the original stays on raw

    time.sleep(2)
    assert worker.proc.poll() is None and worker.proc.pid == pid, "the worker stopped"
    log = worker.log()
    assert "Traceback" not in log and "crashed" not in log.lower(), log[-3000:]

    # Dead letters go back where they came from: original key and bytes, marked as replayed; the cut one stays.
    env = {**worker.env}

    def replay(*args: str) -> str:
        done = subprocess.run([sys.executable, "-m", "streams", "replay-deadletter", *args], env=env,
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        return done.stderr

    assert "would replay 2 (invalid_json: 2)" in replay("--reason", "invalid_json", "--dry-run")
    out = replay("--reason", "invalid_json", "--reason", "oversized")
    assert "replayed 2 (invalid_json: 2)" in out and "truncated" in out
    replayed = consume(worker.broker, raw, timeout_s=30, decode=lambda m: m,
                       until=lambda rs: sum(1 for m in rs if m.headers) >= 2)
    marked = [m for m in replayed if any(k == "x-dlq-replayed-from" for k, _ in m.headers)]
    assert sorted(m.value for m in marked) == sorted(p for _, p, r, _ in PILLS if r == "invalid_json")
    # Still invalid: the worker rejects them again, and a replay after that starts from what is there then.
    again = consume(worker.broker, worker.topic("deadletter"), timeout_s=60, decode=letter,
                    until=lambda rs: len(rs) >= len(PILLS) + 2)
    assert len(again) == len(PILLS) + 2
