"""`claimstream worker`: keeps one Faust worker process running, and starts it afresh when the broker loses its state.

The embedded broker keeps everything in memory: when it restarts, every topic, offset and consumer group is gone. A
Faust worker that lived through that keeps its old assignment and offsets, and its clients auto-create topics with
the broker's default partition count (a table whose changelog has another count crashes its agent): it stalls. So
the worker runs as a child of this supervisor, which asks the broker for its topic list every `PROBE_EVERY_S`:

- the broker does not answer for `lost_after_s` (2 s on a loopback broker, 60 s elsewhere): the worker is stopped
  (a broker that still accepts connections but answers slowly — busy, on a loaded machine — gets `SLOW_ANSWER_S`);
- the broker answers but one of the worker's topics is missing (it came back empty): the worker is stopped;
- the broker answers, every topic is there, and no worker runs: the topics are created and a worker starts.

A worker that exits by itself is started again, after a back-off that grows while it keeps failing. On Apache
Kafka topics survive a broker restart, so a short outage does not restart the worker: its clients reconnect.
SIGTERM / Ctrl-C go to the worker, which drains and stops (streams/draining.py); the supervisor then exits with its
code. The worker dies with the supervisor, even on kill -9 (PR_SET_PDEATHSIG)."""

from __future__ import annotations

import asyncio
import logging
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from streams import topics as t
from streams.settings import Settings

log = logging.getLogger(__name__)
PROBE_EVERY_S = 1.0
PROBE_TIMEOUT_S = 5.0
STOP_TIMEOUT_S = 40.0  # the worker's drain (20 s at most) and Faust's own stop
BACKOFF_S = (1.0, 2.0, 5.0, 10.0, 30.0)  # after the 1st, 2nd, ... exit in a row of a worker that ran < STEADY_S
STEADY_S = 60.0
SLOW_ANSWER_S = 60.0  # a broker that accepts connections is alive: a late answer is load, not a restart

Action = Literal["start", "stop", "wait"]


@dataclass(frozen=True)
class BrokerView:
    """What one probe saw: whether the broker answered, which of the worker's topics it lacks, and (when it did not
    answer) whether it still accepted connections."""

    answers: bool
    missing: frozenset[str] = frozenset()
    listening: bool = False


def decide(view: BrokerView, worker_running: bool, unanswered_for_s: float, lost_after_s: float) -> Action:
    """The supervisor's next step. A missing topic means the broker restarted empty: the worker's offsets and
    tables are gone with it, so a running worker is stopped (and started again on the next probe). A broker that
    listens but is slow to answer is not taken for gone before `SLOW_ANSWER_S` (one slow probe on a loaded machine
    must not kill a worker)."""
    if not view.answers:
        limit = max(lost_after_s, SLOW_ANSWER_S) if view.listening else lost_after_s
        return "stop" if worker_running and unanswered_for_s >= limit else "wait"
    if view.missing:
        return "stop" if worker_running else "start"
    return "wait" if worker_running else "start"


def backoff_s(failures_in_a_row: int) -> float:
    """How long to wait before starting a worker that exited `failures_in_a_row` times (0: no wait)."""
    if failures_in_a_row <= 0:
        return 0.0
    return BACKOFF_S[min(failures_in_a_row, len(BACKOFF_S)) - 1]


def lost_after_s(settings: Settings) -> float:
    """A loopback broker is the embedded one: gone for 2 s, it is restarting empty. A cluster gets a minute to
    come back before its worker is restarted (its clients reconnect by themselves)."""
    return settings.broker_lost_after_s or (2.0 if settings.on_loopback else 60.0)


async def _probe(settings: Settings, wanted: set[str]) -> BrokerView:
    from aiokafka.admin import AIOKafkaAdminClient

    admin = AIOKafkaAdminClient(bootstrap_servers=settings.bootstrap_servers, client_id="claimstream-supervisor",
                                request_timeout_ms=int(PROBE_TIMEOUT_S * 1000), **settings.kafka_client_config())
    try:
        await admin.start()
        present = set(await admin.list_topics())
    finally:
        await admin.close()
    return BrokerView(answers=True, missing=frozenset(wanted - present))


def probe(settings: Settings) -> BrokerView:
    """Ask the broker for its topics (aiokafka: every wait has its timeout)."""
    wanted = set(t.all_topics(settings))
    from streams.broker import any_accepts

    if not any_accepts(settings.bootstrap_servers):  # a stopped broker is known at once
        return BrokerView(answers=False)
    try:
        return asyncio.run(asyncio.wait_for(_probe(settings, wanted), PROBE_TIMEOUT_S + 1))
    except Exception as exc:  # noqa: BLE001 - whatever the reason, the broker did not answer
        log.debug("broker probe failed: %s: %s", type(exc).__name__, exc)
        return BrokerView(answers=False, listening=True)


class Supervisor:
    """Runs `worker_command` as a child and applies `decide` once per probe until `stop` is set."""

    def __init__(self, settings: Settings, worker_command: list[str], prepare: Callable[[], None],
                 say: Callable[[str], None] = print):
        self.settings = settings
        self.command = worker_command
        self.prepare = prepare  # creates the topics before each start
        self.say = say
        self.proc: subprocess.Popen[bytes] | None = None
        self.started_at = 0.0
        self.failures = 0
        self.not_before = 0.0

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def run(self, stop: threading.Event) -> int:
        lost_after = lost_after_s(self.settings)
        last_answer = time.monotonic()
        waiting_said = False
        while not stop.is_set():
            self._notice_exit()
            view = probe(self.settings)
            now = time.monotonic()
            if view.answers:
                last_answer, waiting_said = now, False
            elif not self.running and not waiting_said:
                self.say(f"waiting for the broker at {','.join(self.settings.bootstrap_servers)}")
                waiting_said = True
            action = decide(view, self.running, now - last_answer, lost_after)
            if action == "stop":
                why = (f"{len(view.missing)} of its topics are gone (the broker restarted empty)" if view.answers
                       else f"the broker has not answered for {now - last_answer:.0f} s")
                self.say(f"stopping the worker: {why}; it starts again when the broker is back")
                self._stop_worker(signal.SIGKILL)  # its offsets and tables are gone: nothing to drain or commit
                self.failures, self.not_before = 0, 0.0
            elif action == "start" and now >= self.not_before and not stop.is_set():
                self._start_worker()
            stop.wait(PROBE_EVERY_S)
        return self._stop_worker(signal.SIGTERM)

    def _notice_exit(self) -> None:
        """A worker that exited by itself is started again, later each time it fails again soon."""
        if self.proc is None or self.proc.poll() is None:
            return
        ran_s = time.monotonic() - self.started_at
        self.failures = 1 if ran_s >= STEADY_S else self.failures + 1
        wait = backoff_s(self.failures)
        self.say(f"the worker exited with code {self.proc.returncode} after {ran_s:.0f} s; "
                 f"starting it again in {wait:.0f} s")
        self.not_before = time.monotonic() + wait
        self.proc = None

    def _start_worker(self) -> None:
        from streams.broker import _die_with_parent

        try:
            self.prepare()
        except Exception as exc:  # noqa: BLE001 - the broker went away again: the next probe sees it
            self.say(f"could not create the topics: {type(exc).__name__}: {exc}")
            return
        self.proc = subprocess.Popen(self.command, preexec_fn=_die_with_parent)
        self.started_at = time.monotonic()
        self.say(f"worker started (pid {self.proc.pid})")

    def _stop_worker(self, how: signal.Signals) -> int:
        proc, self.proc = self.proc, None
        if proc is None:
            return 0
        if proc.poll() is None:
            proc.send_signal(how)
            try:
                proc.wait(STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        return proc.returncode if proc.returncode >= 0 else 128 - proc.returncode


def worker_command() -> list[str]:
    return [sys.executable, "-m", "streams", "worker", "--no-supervise"]
