"""What a window layout costs Faust: three hopping tables against three tumbling pane tables (one run).

Usage: .venv/bin/python scripts/window_cost.py [EVENTS]

The aggregates need 1 h windows stepping by 5 min, 24 h by 1 h and 7 d by 1 d. As hopping tables, one event
writes 12 + 24 + 7 = 43 windows; as tumbling panes (5 min, 1 h, 1 d, summed when read), 3. For each layout a
worker process with one agent counts EVENTS events (50 actors, event times over the last day) on the embedded
broker; the report gives events/s, the worker's CPU per event and the changelog records it wrote.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path

from aiokafka import AIOKafkaProducer
from kafka import KafkaConsumer, TopicPartition

from streams.broker import EmbeddedBroker, create_topics, free_port
from streams.ends import exact_ends_now
from streams.settings import from_env

LAYOUTS = {  # name -> [(size s, step s)] of the three tables
    "hopping": [(3600, 300), (86400, 3600), (7 * 86400, 86400)],
    "panes": [(300, 300), (3600, 3600), (86400, 86400)],
}
PARTITIONS = 4


def child(layout: str, broker_url: str, prefix: str, events: int, result: str) -> None:
    """The worker: count each event into the layout's three tables; write the figures at the last event."""
    import faust

    app = faust.App(f"{prefix}app", broker=broker_url, store="memory://", topic_partitions=PARTITIONS,
                    broker_rebalance_timeout=3.0, broker_session_timeout=10.0, broker_heartbeat_interval=1.0,
                    consumer_auto_offset_reset="earliest", web_enabled=False, table_standby_replicas=0,
                    datadir=f"/tmp/{prefix}data")
    topic = app.topic(f"{prefix}events", key_type=bytes, value_type=bytes, key_serializer="raw",
                      value_serializer="raw", partitions=PARTITIONS)
    tables = []
    for n, (size, step) in enumerate(LAYOUTS[layout]):
        table = app.Table(f"t{n}", default=int, partitions=PARTITIONS)
        window = (table.tumbling(timedelta(seconds=size), expires=timedelta(days=8)) if size == step else
                  table.hopping(timedelta(seconds=size), timedelta(seconds=step), expires=timedelta(days=8)))
        tables.append(window.relative_to_stream())
    seen = 0
    started: list[float] = []

    @app.agent(topic)
    async def count(stream: faust.StreamT) -> None:
        nonlocal seen
        async for key in stream.events():
            if not started:
                started.extend([time.perf_counter(), time.process_time()])
            for table in tables:
                table[key.key] += 1
            seen += 1
            if seen == events:
                wall, cpu = time.perf_counter() - started[0], time.process_time() - started[1]
                Path(result).write_text(f"{wall} {cpu}")

    app.finalize()
    worker = faust.Worker(app, loglevel="warning", quiet=True)
    worker.execute_from_commandline()


async def produce(bootstrap: str, topic: str, events: int) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=5)
    await producer.start()
    now = time.time()
    try:
        for i in range(events):
            at = now - (i * 37 % 86400)
            await producer.send(topic, b"{}", key=f"actor-{i % 50}".encode(), timestamp_ms=int(at * 1000))
        await producer.flush()
    finally:
        await producer.stop()


def changelog_records(bootstrap: str, prefix: str) -> int:
    consumer = KafkaConsumer(bootstrap_servers=bootstrap)
    try:
        tps = [TopicPartition(f"{prefix}app-t{n}-changelog", p) for n in range(3) for p in range(PARTITIONS)]
        # the embedded broker's ends stop short of the last batch: read exactly
        return sum(exact_ends_now(from_env({"CLAIMSTREAM_BROKER": bootstrap}), consumer.end_offsets(tps)).values())
    finally:
        consumer.close()


def run(broker: EmbeddedBroker, layout: str, events: int) -> tuple[float, float, int]:
    prefix = f"w{uuid.uuid4().hex[:6]}"
    topics = {f"{prefix}events": PARTITIONS, **{f"{prefix}app-t{n}-changelog": PARTITIONS for n in range(3)}}
    create_topics(broker.bootstrap, topics)
    result = Path(tempfile.mkdtemp()) / "result"
    proc = subprocess.Popen([sys.executable, __file__, "--child", layout, broker.url, prefix, str(events),
                             str(result)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        time.sleep(8)  # the group forms
        asyncio.run(produce(broker.bootstrap, f"{prefix}events", events))
        while not result.exists():
            if proc.poll() is not None:
                raise SystemExit(f"{layout}: the worker stopped before counting {events} events")
            time.sleep(0.2)
        wall, cpu = (float(x) for x in result.read_text().split())
        time.sleep(2)  # the last changelog writes land
        return wall, cpu, changelog_records(broker.bootstrap, prefix)
    finally:
        proc.kill()
        proc.wait(30)


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]), sys.argv[6])
        return
    events = int(sys.argv[1]) if len(sys.argv) > 1 else 3000
    with EmbeddedBroker("127.0.0.1", free_port()) as broker:
        print(f"{events} events, 50 actors, 3 tables, {PARTITIONS} partitions")
        results = {layout: run(broker, layout, events) for layout in LAYOUTS}
    for layout, (wall, cpu, written) in results.items():
        print(f"{layout:8} {events / wall:7.0f} events/s  {1000 * cpu / events:6.2f} ms CPU/event  "
              f"{written:7d} changelog records ({written / events:.1f} per event)")
    ratio = results["hopping"][1] / results["panes"][1]
    print(f"hopping / panes CPU per event: {ratio:.1f}x")


if __name__ == "__main__":
    main()
