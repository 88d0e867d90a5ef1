"""The CLI says plainly what is wrong, fast, with a non-zero exit — no traceback for a user's mistake."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from streams.broker import free_port

SAMPLE = str(Path(__file__).resolve().parents[2] / "streams" / "samples" / "it-sanzioni.txt")


def claimstream(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "streams", *args], capture_output=True, text=True, timeout=60,
                          env={**os.environ, **(env or {})})


def test_no_broker_is_a_clear_error_at_once() -> None:
    env = {"CLAIMSTREAM_EMBEDDED_PORT": str(free_port()), "CLAIMSTREAM_BROKER": ""}
    for args in (["produce", SAMPLE], ["tail", "claims"]):
        done = claimstream(*args, env=env)
        assert done.returncode == 2
        assert "no Kafka broker answers" in done.stderr
        assert "Traceback" not in done.stderr


def test_bad_setting_is_a_clear_error() -> None:
    done = claimstream("tail", "claims", env={"CLAIMSTREAM_PARTITIONS": "many"})
    assert done.returncode == 2
    assert "CLAIMSTREAM_PARTITIONS" in done.stderr


def test_extract_reports_unreadable_and_rejected_files_and_goes_on(tmp_path: Path) -> None:
    furniture_only = tmp_path / "ads.txt"
    furniture_only.write_text("Titolo\n\n- Pubblicità -\n\nPotrebbe interessarti\n")
    done = claimstream("extract", str(tmp_path / "missing.txt"), str(furniture_only),
                       SAMPLE)
    assert done.returncode == 1
    assert "missing.txt" in done.stderr and "cannot read" in done.stderr
    assert "ads.txt" in done.stderr and "no_content" in done.stderr
    assert done.stdout.count('"article_id":"it-sanzioni.txt"') >= 1
