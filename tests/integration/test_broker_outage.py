"""Broker outage: the embedded broker is stopped and started again on the same port, empty (it keeps everything in
memory). The `claimstream worker` process, still the same one, notices, stops its Faust worker, creates the topics
again and starts a fresh worker, which processes the articles produced after the restart."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest

from streams.broker import EmbeddedBroker, free_port
from tests.integration.conftest import SAMPLES, Worker, consume, produce

pytestmark = pytest.mark.integration
RESUME_WITHIN_S = 30  # the promise, counted from the broker answering again


@pytest.fixture
def own_broker(tmp_path: Path) -> Iterator[EmbeddedBroker]:
    """A broker for this test alone: it is stopped and started, the session's is not."""
    with EmbeddedBroker("127.0.0.1", free_port(), log_file=tmp_path / "tansu.log") as broker:
        yield broker


def sample_article(name: str, article_id: str) -> bytes:
    return orjson.dumps({"id": article_id, "outlet": "outage.example", "text": (SAMPLES / name).read_text()})


def claims_of(worker: Worker, article_id: str, timeout_s: float) -> list[dict[str, object]]:
    """The article's claims, read by a fresh consumer every 5 s: one started while the broker was empty (before
    the worker created the topics again) must not be the one that decides."""
    deadline = time.monotonic() + timeout_s
    while True:
        found = [c for c in consume(worker.broker, worker.topic("claims"), timeout_s=5,
                                    until=lambda rs: any(c["article_id"] == article_id for c in rs))
                 if c["article_id"] == article_id]
        if found or time.monotonic() >= deadline:
            return found


def test_worker_comes_back_by_itself_after_the_broker_restarts_empty(own_broker: EmbeddedBroker,
                                                                     tmp_path: Path) -> None:
    worker = Worker(own_broker, f"o{uuid.uuid4().hex[:6]}.", tmp_path).start()
    try:
        worker.wait_ready(120)
        produce(own_broker, worker.topic("articles.raw"), [sample_article("it-corea-truppe.txt", "before")])
        assert claims_of(worker, "before", timeout_s=60), worker.log()[-3000:]
        supervisor_pid = worker.proc.pid if worker.proc else None

        own_broker.stop()
        time.sleep(5)  # longer than the 2 s after which the worker is stopped
        own_broker.start()
        back = time.monotonic()
        produce(own_broker, worker.topic("articles.raw"), [sample_article("en-black-sea.txt", "after")])
        claims = claims_of(worker, "after", timeout_s=RESUME_WITHIN_S)
        took = time.monotonic() - back
        assert claims, (f"no claims {RESUME_WITHIN_S} s after the broker came back:\n{worker.diagnosis()}\n"
                        f"{worker.log()[-4000:]}")
        assert worker.proc is not None and worker.proc.pid == supervisor_pid and worker.proc.poll() is None
        log = worker.log()
        assert "stopping the worker" in log and log.count("worker started") == 2, log[-3000:]
        print(f"claims of an article produced after the restart came out {took:.1f} s after the broker answered")
    finally:
        assert worker.stop() == 0, worker.log()[-3000:]
