"""A real embedded broker on a free loopback port, and real worker processes, per test session."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from kafka import KafkaConsumer, KafkaProducer, TopicPartition

from streams.broker import EmbeddedBroker, free_port

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "streams" / "samples"


@pytest.fixture(scope="session")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedBroker]:
    log = tmp_path_factory.mktemp("broker") / "tansu.log"
    with EmbeddedBroker("127.0.0.1", free_port(), log_file=log) as b:
        yield b


class Worker:
    """One `claimstream worker` process with its own topic prefix and web port."""

    def __init__(self, broker: EmbeddedBroker, prefix: str, workdir: Path):
        self.broker = broker
        self.prefix = prefix
        self.web_port = free_port()
        self.workdir = workdir
        self.log_path = workdir / f"worker-{prefix}.log"
        self.proc: subprocess.Popen[bytes] | None = None
        self.log_start = 0

    @property
    def env(self) -> dict[str, str]:
        return {**os.environ, "CLAIMSTREAM_BROKER": self.broker.url, "CLAIMSTREAM_TOPIC_PREFIX": self.prefix,
                "CLAIMSTREAM_WEB_PORT": str(self.web_port), "CLAIMSTREAM_DATA_DIR": str(self.workdir / "data"),
                "CLAIMSTREAM_APP_ID": f"claimstream-{self.prefix.strip('.')}"}

    def start(self) -> Worker:
        self.log_start = self.log_path.stat().st_size if self.log_path.exists() else 0  # this run's log only
        log = open(self.log_path, "ab")  # noqa: SIM115 - the process owns it
        self.proc = subprocess.Popen([sys.executable, "-m", "streams", "worker"], env=self.env,
                                     stdout=log, stderr=subprocess.STDOUT, cwd=self.workdir)
        log.close()
        return self

    def wait_ready(self, timeout_s: float = 90) -> None:
        """Ready when Faust logs it and every agent has its partitions."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            assert self.proc is not None and self.proc.poll() is None, self.log()
            if b"Worker ready" in self.log_path.read_bytes()[self.log_start:]:
                return
            time.sleep(0.3)
        raise AssertionError(f"worker not ready in {timeout_s}s:\n{self.log()[-4000:]}")

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def stop(self) -> int | None:
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else None
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return self.proc.wait()

    def topic(self, name: str) -> str:
        return self.prefix + name


@pytest.fixture
def worker(broker: EmbeddedBroker, tmp_path: Path) -> Iterator[Worker]:
    w = Worker(broker, f"t{uuid.uuid4().hex[:8]}.", tmp_path).start()
    try:
        w.wait_ready()
        yield w
    finally:
        w.stop()


def produce(broker: EmbeddedBroker, topic: str, values: list[bytes], keys: list[bytes | None] | None = None) -> None:
    producer = KafkaProducer(bootstrap_servers=broker.bootstrap, acks="all", max_request_size=30_000_000)
    for i, value in enumerate(values):
        producer.send(topic, value=value, key=keys[i] if keys else None).get(timeout=30)
    producer.close()


def consume(broker: EmbeddedBroker, topic: str, until: Callable[[list[Any]], bool], timeout_s: float = 60,
            decode: Callable[[Any], Any] = lambda m: orjson.loads(m.value)) -> list[Any]:
    """Everything on `topic` from the start, until `until(records)` holds or the timeout passes."""
    consumer = KafkaConsumer(bootstrap_servers=broker.bootstrap, group_id=None, enable_auto_commit=False,
                             consumer_timeout_ms=1000)
    deadline = time.monotonic() + timeout_s
    parts: set[int] = set()
    while not parts and time.monotonic() < deadline:
        parts = consumer.partitions_for_topic(topic) or set()
        time.sleep(0.2)
    tps = [TopicPartition(topic, p) for p in sorted(parts)]
    consumer.assign(tps)
    consumer.seek_to_beginning(*tps)
    records: list[Any] = []
    try:
        while time.monotonic() < deadline:
            for message in consumer:
                records.append(decode(message))
            if until(records):
                break
    finally:
        consumer.close()
    return records
