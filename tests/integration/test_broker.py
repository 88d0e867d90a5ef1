"""The embedded broker: answers Kafka metadata, stops cleanly, dies with its parent, refuses a busy port."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from streams.broker import BrokerError, EmbeddedBroker, free_port, kafka_answers, port_in_use

pytestmark = pytest.mark.integration


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie is dead for our purpose.
    with open(f"/proc/{pid}/stat") as f:
        return f.read().split(")")[-1].split()[0] != "Z"


def wait_gone(pid: int, timeout_s: float = 10) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if not alive(pid):
            return True
        time.sleep(0.1)
    return False


def test_start_answer_stop() -> None:
    broker = EmbeddedBroker("127.0.0.1", free_port()).start()
    pid = broker.pid
    assert pid is not None
    assert kafka_answers(broker.bootstrap)
    broker.stop()
    assert wait_gone(pid)
    assert not port_in_use("127.0.0.1", broker.port)


def test_busy_port_is_a_clear_error() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        with pytest.raises(BrokerError, match="already in use"):
            EmbeddedBroker("127.0.0.1", port).start()


def test_broker_dies_with_its_parent_even_on_kill_9() -> None:
    script = (
        "import sys, time\n"
        "from streams.broker import EmbeddedBroker, free_port\n"
        "b = EmbeddedBroker('127.0.0.1', free_port()).start()\n"
        "print(b.pid, flush=True)\n"
        "time.sleep(300)\n"
    )
    parent = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    assert parent.stdout is not None
    broker_pid = int(parent.stdout.readline())
    assert alive(broker_pid)
    parent.send_signal(signal.SIGKILL)
    parent.wait()
    assert wait_gone(broker_pid), "the broker outlived its parent"


def test_claimstream_broker_command_runs_until_ctrl_c(tmp_path: Path) -> None:
    port = free_port()
    env = {**os.environ, "CLAIMSTREAM_EMBEDDED_PORT": str(port)}
    env.pop("CLAIMSTREAM_BROKER", None)
    proc = subprocess.Popen([sys.executable, "-m", "streams", "broker"], env=env, cwd=tmp_path,
                            stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 30
    while not kafka_answers(f"127.0.0.1:{port}") and time.monotonic() < deadline:
        assert proc.poll() is None
        time.sleep(0.3)
    assert kafka_answers(f"127.0.0.1:{port}")
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=30)
    assert proc.returncode == 0, stderr
    assert "Traceback" not in stderr
    assert "ready on" in stderr
    assert not port_in_use("127.0.0.1", port)


def test_end_offsets_are_exact_when_each_record_is_its_own_batch(broker: EmbeddedBroker) -> None:
    """Tansu reports a partition's end as the start of its last batch (5 records in one batch: end 1), which made
    Faust's table recovery stop short of the last writes. The worker's producers send one record per batch on a
    loopback broker (Settings.producer_max_batch_size), and then the end is exact."""
    import asyncio

    from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

    async def end_after_five(topic: str, batch_bytes: int) -> int:
        producer = AIOKafkaProducer(bootstrap_servers=broker.bootstrap, linger_ms=50, max_batch_size=batch_bytes)
        await producer.start()
        try:
            sent = [await producer.send(topic, b"x%d" % n, partition=0) for n in range(5)]
            assert [(await s).offset for s in sent] == [0, 1, 2, 3, 4]
        finally:
            await producer.stop()
        consumer = AIOKafkaConsumer(bootstrap_servers=broker.bootstrap)
        await consumer.start()
        try:
            ends = await consumer.end_offsets([TopicPartition(topic, 0)])
        finally:
            await consumer.stop()
        return int(next(iter(ends.values())))

    suffix = os.urandom(4).hex()
    assert asyncio.run(end_after_five(f"ends-single-{suffix}", 1)) == 5
    batched = asyncio.run(end_after_five(f"ends-batched-{suffix}", 16384))
    sys.stderr.write(f"\n[broker] end offset after 5 records in one batch: {batched} (exact: 5)\n")
