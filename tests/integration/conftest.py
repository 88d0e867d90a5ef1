"""A real embedded broker on a free loopback port, and real worker processes, per test session."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from kafka import KafkaProducer

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

    def metrics(self) -> dict[str, float]:
        """The worker's /metrics as {series: value}."""
        with urllib.request.urlopen(f"http://127.0.0.1:{self.web_port}/metrics", timeout=10) as response:
            text = response.read().decode()
        out = {}
        for line in text.splitlines():
            if line and not line.startswith("#"):
                series, _, value = line.rpartition(" ")
                out[series] = float(value)
        return out

    def diagnosis(self) -> str:
        """For a failure message: what each stage took in and sent on, the lag and re-reads (from /metrics), and the
        worker's last warnings."""
        try:
            counts = "\n".join(f"{series} {value:.0f}" for series, value in self.metrics().items()
                               if series.startswith(("claimstream_messages_", "claimstream_consumer_lag",
                                                     "claimstream_partitions_read_again", "claimstream_redelivered"))
                               and value)
        except OSError as exc:
            counts = f"/metrics unreadable: {exc}"
        warnings = [line for line in self.log().splitlines() if "[WARNING]" in line or "[ERROR]" in line]
        return f"{counts}\nlast warnings of the worker's log:\n" + "\n".join(warnings[-40:])


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
    """Everything on `topic` from the start, until `until(records)` holds or the timeout passes. aiokafka, whose
    waits all end: kafka-python 3's consumer once waited 600 s in a poll given 1 s (dpkp/kafka-python#3121)."""
    return asyncio.run(asyncio.wait_for(_consume(broker.bootstrap, topic, until, timeout_s, decode), timeout_s + 30))


async def _consume(bootstrap: str, topic: str, until: Callable[[list[Any]], bool], timeout_s: float,
                   decode: Callable[[Any], Any]) -> list[Any]:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, fetch_max_wait_ms=100,
                                max_partition_fetch_bytes=32 * 1024 * 1024, fetch_max_bytes=64 * 1024 * 1024)
    await consumer.start()
    records: list[Any] = []
    try:
        parts: set[int] = set()
        while not parts and loop.time() < deadline:
            await consumer.topics()  # a metadata refresh
            parts = consumer.partitions_for_topic(topic) or set()
            if not parts:
                await asyncio.sleep(0.2)
        # No such topic within the timeout: nothing on it. A topic created after this consumer started may never
        # show in its metadata (seen after a broker restart): callers that wait for one start another consumer.
        if not parts:
            return records
        tps = [TopicPartition(topic, p) for p in sorted(parts)]
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        last_check = loop.time()
        while loop.time() < deadline:
            batches = await consumer.getmany(timeout_ms=500)
            for tp in tps:
                records += [decode(m) for m in batches.get(tp, [])]
            caught_up = not batches
            if caught_up or loop.time() - last_check > 2:  # and every 2 s while records keep coming
                if until(records):
                    break
                last_check = loop.time()
    finally:
        await consumer.stop()
    return records
