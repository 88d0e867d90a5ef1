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

from streams.broker import BrokerError, EmbeddedBroker, create_topics, free_port, kafka_answers, port_in_use

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


def test_exact_ends_read_past_the_last_record_batch(broker: EmbeddedBroker) -> None:
    """Tansu reports a partition's end as one past the first record of its last batch (5 records in one batch:
    end 1), which made Faust's table recovery stop short of the last writes. `exact_ends` reads the batch the
    reported end points into and returns one past its last record: what Kafka reports."""
    import asyncio

    from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

    from streams.ends import exact_ends
    from streams.settings import from_env

    topic = f"ends-{os.urandom(4).hex()}"
    create_topics(broker.bootstrap, {topic: 3})
    batches = {0: [5, 3], 1: [1]}  # partition -> records per batch; partition 2 stays empty

    async def produce_then_read_ends() -> tuple[dict[int, int], dict[int, int | None]]:
        producer = AIOKafkaProducer(bootstrap_servers=broker.bootstrap, linger_ms=50)
        await producer.start()
        try:
            for partition, sizes in batches.items():
                for size in sizes:  # sent together, then awaited: one batch each
                    sent = [await producer.send(topic, b"x%d" % n, partition=partition) for n in range(size)]
                    await asyncio.gather(*sent)
        finally:
            await producer.stop()
        consumer = AIOKafkaConsumer(bootstrap_servers=broker.bootstrap)
        await consumer.start()
        try:
            reported = await consumer.end_offsets([TopicPartition(topic, p) for p in range(3)])
        finally:
            await consumer.stop()
        exact = await exact_ends(from_env({"CLAIMSTREAM_BROKER": broker.bootstrap}), reported)
        return ({tp.partition: end for tp, end in reported.items()},
                {tp.partition: end for tp, end in exact.items()})

    reported, exact = asyncio.run(produce_then_read_ends())
    sys.stderr.write(f"\n[broker] ends reported {reported}, exact {exact} (records: 8, 1, 0)\n")
    assert reported[0] < 8, "the embedded broker reports exact ends now: exact_ends has nothing to correct"
    assert exact == {0: 8, 1: 1, 2: 0}
