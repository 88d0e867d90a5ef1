"""The README's first command: `claimstream run --demo` shows claims, serves /metrics, and Ctrl-C
leaves no process behind."""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

import orjson
import pytest

from streams.broker import EmbeddedBroker, free_port
from tests.integration.test_broker import wait_gone

pytestmark = pytest.mark.integration


def descendants(pid: int) -> set[int]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    ppid = int(f.read().split(")")[-1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            children.setdefault(ppid, []).append(int(entry))
    out: set[int] = set()
    todo = [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            out.add(child)
            todo.append(child)
    return out


def command_of(pid: int) -> str:
    """The command line of a process, or "" once it is gone."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def test_run_demo_prints_claims_serves_metrics_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    env = {**os.environ, "CLAIMSTREAM_EMBEDDED_PORT": str(free_port())}
    env.pop("CLAIMSTREAM_BROKER", None)
    family = run_demo(tmp_path, env, stop=lambda pid: os.killpg(pid, signal.SIGINT))  # what Ctrl-C does
    commands = list(family.values())
    assert any("tansu" in c for c in commands) and any("worker" in c for c in commands), commands


def test_run_uses_the_broker_named_in_claimstream_broker(tmp_path: Path, broker: EmbeddedBroker) -> None:
    env = {**os.environ, "CLAIMSTREAM_BROKER": broker.url, "CLAIMSTREAM_TOPIC_PREFIX": "rundemo.",
           "CLAIMSTREAM_APP_ID": "claimstream-rundemo"}
    family = run_demo(tmp_path, env, stop=lambda pid: os.kill(pid, signal.SIGTERM))  # a process manager
    commands = list(family.values())
    assert commands and all("worker" in c for c in commands), commands  # no embedded broker was started
    assert broker.pid is not None and not wait_gone(broker.pid, 0.5)  # and the external one is untouched


def run_demo(tmp_path: Path, env: dict[str, str], stop: Callable[[int], None]) -> dict[int, str]:
    """Run `claimstream run --demo` until it printed claims, check /metrics, Ctrl-C it; return the processes it
    had started (pid: command line), all of which must be gone afterwards."""
    web_port = free_port()
    env = {**env, "CLAIMSTREAM_WEB_PORT": str(web_port), "CLAIMSTREAM_DATA_DIR": str(tmp_path / "data")}
    started = time.monotonic()
    proc = subprocess.Popen([sys.executable, "-m", "streams", "run", "--demo"], env=env, cwd=tmp_path,
                            stdout=subprocess.PIPE, stderr=open(tmp_path / "run.log", "wb"),  # noqa: SIM115
                            start_new_session=True)
    assert proc.stdout is not None
    claims = []
    family: dict[int, str] = {}
    try:
        while time.monotonic() - started < 90 and len(claims) < 5:
            ready, _, _ = select.select([proc.stdout], [], [], 1.0)
            if ready:
                line = proc.stdout.readline()
                if line.startswith(b"{"):
                    claims.append(orjson.loads(line))
            assert proc.poll() is None, (tmp_path / "run.log").read_text()
        assert len(claims) >= 5, (tmp_path / "run.log").read_text()[-3000:]
        first_claims_after = time.monotonic() - started
        assert first_claims_after < 60
        with urllib.request.urlopen(f"http://127.0.0.1:{web_port}/metrics", timeout=10) as response:
            text = response.read().decode()
        assert "claimstream_messages_out_total" in text
        assert 'claimstream_claims_total{lang="it"' in text or 'lang="it"' in text
        family = {pid: command_of(pid) for pid in descendants(proc.pid)}
    finally:
        stop(proc.pid)
        proc.wait(60)
    for pid in family:
        assert wait_gone(pid), f"process {pid} left running after Ctrl-C"
    assert proc.returncode == 0, (tmp_path / "run.log").read_text()[-2000:]
    return family
