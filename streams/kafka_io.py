"""kafka-python for the CLI: produce article files, read topics for people."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import orjson
from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from kafka.errors import KafkaError
from rich.progress import Progress

from streams import deadletter
from streams import topics as t
from streams.broker import any_accepts
from streams.ends import exact_ends_now
from streams.settings import Settings
from streams.sources import expand, read


class KafkaUnavailable(RuntimeError):
    """The broker cannot be reached, or the topic does not exist: said plainly, for people."""


def unreachable(settings: Settings) -> KafkaUnavailable:
    where = ",".join(settings.bootstrap_servers)
    hint = "start one with `claimstream run`" if settings.embedded else "check CLAIMSTREAM_BROKER"
    return KafkaUnavailable(f"no Kafka broker answers at {where}: {hint}")


def ensure_reachable(settings: Settings) -> None:
    """Fail at once when no bootstrap server accepts a connection (kafka-python would retry for 30 s)."""
    if not any_accepts(settings.bootstrap_servers):
        raise unreachable(settings)


def producer_for(settings: Settings) -> KafkaProducer:
    ensure_reachable(settings)
    try:
        return KafkaProducer(bootstrap_servers=settings.bootstrap_servers, acks="all", linger_ms=5,
                             max_request_size=settings.message_max_bytes, **settings.kafka_client_config())
    except KafkaError as exc:
        raise unreachable(settings) from exc


def produce_articles(settings: Settings, paths: list[str], topic: str, progress: bool) -> list[tuple[str, str]]:
    """Send every article found in `paths`; return (origin, reason) for each one that failed."""
    failures: list[tuple[str, str]] = []
    files = expand(paths)
    producer = producer_for(settings)
    pending = []
    try:
        with Progress(disable=not progress, transient=True) as bar:
            task = bar.add_task("producing", total=len(files))
            for path in files:
                for item in read(path):
                    if item.error is not None or item.article is None:
                        failures.append((item.origin, item.error or "unreadable"))
                        continue
                    key = str(item.article["id"]).encode()
                    future = producer.send(topic, key=key, value=orjson.dumps(item.article))
                    pending.append((item.origin, future))
                bar.advance(task)
            producer.flush()
        for origin, future in pending:
            try:
                future.get(timeout=30)
            except KafkaError as exc:
                failures.append((origin, f"not delivered: {exc}"))
    finally:
        producer.close()
    return failures


def consumer_for(settings: Settings, topic: str, from_beginning: bool, timeout_s: float | None) -> KafkaConsumer:
    """A group-less consumer on every partition of `topic`, at the start or the end."""
    ensure_reachable(settings)
    try:
        consumer = KafkaConsumer(bootstrap_servers=settings.bootstrap_servers, group_id=None,
                                 enable_auto_commit=False, max_partition_fetch_bytes=settings.message_max_bytes,
                                 **settings.kafka_client_config(),
                                 consumer_timeout_ms=int(timeout_s * 1000) if timeout_s else float("inf"))
    except KafkaError as exc:
        raise unreachable(settings) from exc
    partitions = consumer.partitions_for_topic(topic) or set()
    if not partitions:
        known = sorted(t for t in consumer.topics() if not t.startswith("_"))
        consumer.close()
        raise KafkaUnavailable(f"topic {topic!r} does not exist; topics: {', '.join(known) or 'none'}")
    assigned = [TopicPartition(topic, p) for p in sorted(partitions)]
    consumer.assign(assigned)
    if from_beginning:
        consumer.seek_to_beginning(*assigned)
    else:
        consumer.seek_to_end(*assigned)
    return consumer


def view(topic: str, message: Any) -> Any:
    """A record as people read it: JSON values decoded, dead letters with their headers."""
    if topic == t.DEADLETTER:
        return deadletter.describe(message.value, list(message.headers or [])).to_representation()
    try:
        return orjson.loads(message.value)
    except (orjson.JSONDecodeError, TypeError):
        return {"undecodable": (message.value or b"").decode("utf-8", "replace")}


REPLAYED_HEADER = "x-dlq-replayed-from"  # "<partition>:<offset>" of the dead letter a replayed message came from


def replay_target(headers: dict[str, bytes], reasons: set[str], stage: str | None) -> tuple[str | None, str]:
    """Where a dead letter goes back to (its origin topic) and its reason; or None and why it stays."""
    reason = headers.get("x-dlq-reason", b"").decode("utf-8", "replace")
    if (reasons and reason not in reasons) or (stage and headers.get("x-dlq-stage", b"").decode() != stage):
        return None, "not selected"
    if deadletter.TRUNCATED_HEADER in headers:
        return None, "truncated (replay the original from its origin offset)"
    origin = headers.get("x-dlq-origin-topic", b"").decode("utf-8", "replace")
    if not origin:
        return None, "no origin topic"
    return origin, reason


@dataclass
class Replay:
    replayed: Counter[str] = field(default_factory=Counter)  # by reason
    kept: Counter[str] = field(default_factory=Counter)  # by why not


def replay_deadletters(settings: Settings, reasons: set[str], stage: str | None, limit: int | None,
                       dry_run: bool, progress: bool) -> Replay:
    """Send dead letters back to their origin topics (original key and bytes, plus REPLAYED_HEADER): every one
    on the topic when the replay starts, so letters the replay itself causes are not replayed again."""
    consumer = consumer_for(settings, settings.topic(t.DEADLETTER), from_beginning=True, timeout_s=5)
    assigned = list(consumer.assignment())
    ends = exact_ends_now(settings, consumer.end_offsets(assigned))
    remaining = {tp: end - consumer.position(tp) for tp, end in ends.items()}
    producer = None if dry_run else producer_for(settings)
    outcome = Replay()
    try:
        with Progress(disable=not progress, transient=True) as bar:
            task = bar.add_task("replaying dead letters", total=sum(remaining.values()))
            while any(n > 0 for n in remaining.values()) and (limit is None or sum(outcome.replayed.values()) < limit):
                batch = consumer.poll(timeout_ms=1000)
                if not batch:
                    break
                for tp, messages in batch.items():
                    for message in messages:
                        if remaining[tp] <= 0 or (limit is not None and sum(outcome.replayed.values()) >= limit):
                            continue
                        remaining[tp] -= 1
                        bar.advance(task)
                        target, why = replay_target(dict(message.headers or []), reasons, stage)
                        if target is None:
                            outcome.kept[why] += 1
                            continue
                        if producer is not None:
                            producer.send(target, key=message.key, value=message.value,
                                          headers=[(REPLAYED_HEADER, f"{tp.partition}:{message.offset}".encode())])
                        outcome.replayed[why] += 1
            if producer is not None:
                producer.flush()
    finally:
        consumer.close()
        if producer is not None:
            producer.close()
    return outcome
