"""create_app(settings) -> faust.App, and the module-level `app` the agents decorate."""

from __future__ import annotations

import asyncio
import functools
import logging
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import faust
from faust.sensors.monitor import Monitor
from faust.sensors.prometheus import PrometheusMonitor, setup_prometheus_sensors
from faust.types import TableT

from streams import metrics
from streams import topics as t
from streams.ends import exact_ends
from streams.settings import Settings, from_env
from streams.stages.aggregates import DAY_S, RECENT_KEEP_S, WINDOWS, pane_keep_s

log = logging.getLogger(__name__)


class ConfirmedTable(faust.Table):
    """A faust.Table whose changelog writes can be awaited (`confirm_writes`).

    Faust queues a table write in its producer buffer, and before committing offsets it drains that buffer with
    a 0.1 s wait and without counting the message being handed over: a write still in flight can be lost in a
    crash after the offset of the event that made it was committed (seen: 17 of 22 claims of an actor counted
    after a kill -9). Agents await `confirm_writes()` before they take the next event, which is when Faust acks
    the current one, so a committed offset always has its table writes on the changelog. Within
    `one_write_per_key()` (an agent's batch) a write is held and only the last one per key is sent, at its end."""

    def send_changelog(self, partition: int | None, key: Any, value: Any,  # type: ignore[override]
                       **kwargs: Any) -> Any:
        if partition is None and self.partitions == 1:
            partition = 0  # the partitioner's only choice, known now (a held write needs it)
        task = asyncio.current_task()
        held = _held_writes.get(task) if task is not None else None
        if held is None or partition is None:
            return self.send_changelog_now(partition, key, value, **kwargs)
        held[(id(self), partition, key)] = (self, partition, key, value, kwargs)
        return HeldWrite(partition)

    @functools.cached_property
    def records_written(self) -> Any:
        return metrics.CHANGELOG_RECORDS.labels(self.name)  # looked up once: labels() is not free per write

    def send_changelog_now(self, partition: int | None, key: Any, value: Any, **kwargs: Any) -> Any:
        written = super().send_changelog(partition, key, value, **kwargs)
        _unconfirmed_writes().append(written)
        self.records_written.inc()
        return written


class HeldWrite:
    """What Faust reads from a changelog write it has just made (the partition, for window expiry), for a write
    held back until the end of the batch."""

    def __init__(self, partition: int):
        self.message = self
        self.partition = partition


# Changelog writes held back per agent (task) during a batch: (table, partition, key) -> arguments of the last one.
# The changelog is read back by key, last write wins, so one write per key per batch is enough (an actor's pane
# used to be written whole once per claim of the batch).
_held_writes: weakref.WeakKeyDictionary[asyncio.Task[Any], dict[tuple[int, int, Any], tuple[Any, ...]]] = \
    weakref.WeakKeyDictionary()


@contextmanager
def one_write_per_key() -> Iterator[None]:
    """Within this block, the current agent's table writes reach their changelog once per key, when it ends (the
    table's own data changes at once)."""
    task = asyncio.current_task()
    assert task is not None
    held = _held_writes[task] = {}
    try:
        yield
    finally:
        del _held_writes[task]
        for table, partition, key, value, kwargs in held.values():
            table.send_changelog_now(partition, key, value, **kwargs)


# Changelog writes and sends not yet acknowledged by the broker, per agent (asyncio task): each agent waits for
# its own. One shared list would let one agent take and await another's writes while that one, finding the list
# empty, acked its event too early (seen: whole articles missing from the aggregates after kill -9).
_unconfirmed: weakref.WeakKeyDictionary[asyncio.Task[Any], list[asyncio.Future[Any]]] = weakref.WeakKeyDictionary()


def _unconfirmed_writes() -> list[asyncio.Future[Any]]:
    task = asyncio.current_task()
    if task is None:  # outside any task nothing can be confirmed later: nothing to remember
        return []
    return _unconfirmed.setdefault(task, [])


async def send(topic: faust.TopicT, **kwargs: Any) -> None:
    """`topic.send(**kwargs)`, recorded for `confirm_writes`. Faust commits an offset without waiting for what its
    event sent (the same 0.1 s drain as table writes): after a kill -9 the committed event's output could be
    missing."""
    _unconfirmed_writes().append(await topic.send(**kwargs))  # type: ignore[arg-type]


async def send_direct(topic: faust.TopicT, *, key: bytes, value: bytes, timestamp: float | None = None) -> None:
    """`send`, straight to the producer where there is no transaction (`direct_sends`): Faust's `topic.send` builds
    a pending message, callbacks and sensor state around every record, a cost paid ~66 times per story. For every
    topic but changelogs (Faust writes those) and dead letters (rare; `send` keeps its headers)."""
    if not direct_sends:
        await send(topic, key=key, value=value, timestamp=timestamp)
        return
    producer = await app.maybe_start_producer()
    _unconfirmed_writes().append(await producer.send(topic.get_topic_name(), key, value, None, timestamp, None))


async def confirm_writes() -> None:
    """Wait until every table write and send this agent made so far is on its topic (raises if one failed)."""
    writes = _unconfirmed_writes()
    while writes:
        pending = list(writes)
        writes.clear()
        await asyncio.gather(*pending)


def shorter_fetch_wait(wait_ms: int) -> None:
    """Faust creates its worker consumer with fetch_max_wait_ms=1500 and no setting to change it; set ours on the
    consumer before it starts (the embedded broker holds every fetch for the whole wait: see Settings)."""
    from faust.transport.drivers import aiokafka as driver

    create = driver.AIOKafkaConsumerThread._create_worker_consumer
    if getattr(create, "fetch_wait_ms", None) == wait_ms:
        return

    def create_worker_consumer(self: Any, transport: Any) -> Any:
        consumer = create(self, transport)
        consumer._fetch_max_wait_ms = wait_ms  # read by AIOKafkaConsumer.start() for its Fetcher
        return consumer

    create_worker_consumer.fetch_wait_ms = wait_ms  # type: ignore[attr-defined]
    driver.AIOKafkaConsumerThread._create_worker_consumer = create_worker_consumer  # type: ignore[method-assign]


def recover_to_exact_ends(settings: Settings) -> None:
    """Faust recovers a table from its changelog up to the end offsets the broker reports; the embedded broker's
    stop short of the last record batch (streams/ends.py). Here recovery reads up to the exact ends, so changelog
    writes can travel in ordinary batches."""
    from faust.tables.recovery import Recovery

    async def build_highwaters(self: Any, consumer: Any, tps: Any, destination: Any, title: str) -> None:
        reported = await consumer.highwaters(*tps)
        ends = await exact_ends(settings, reported)
        # Faust keeps the offset of the last record (its "highwater"), -1 for an empty partition
        highwaters = {tp: end - 1 if end is not None else -1 for tp, end in ends.items()}
        self.log.info("Highwater for %s changelog partitions:\n%s", title,
                      self._highwater_logtable(highwaters, title=title))
        destination.clear()
        destination.update(highwaters)

    Recovery._build_highwaters = build_highwaters  # type: ignore[method-assign]


def commit_only_what_was_processed() -> None:
    """Two changes to Faust's commit bookkeeping (faust.transport.consumer.Consumer), for at-least-once.

    1. Faust treats a jump in the offsets it reads as a "gap" to be committed as if processed (meant for compacted
       topics and transaction markers, neither of which the agents' input topics have at-least-once). After a
       rebalance Faust can deliver the rest of a record batch fetched before it, from offsets past the position
       it just sought back to: the offsets in between became a gap, were committed unprocessed, and were then
       dropped as already read when fetched again (claims lost in the kill -9 and scale-out tests). Here no gap is
       recorded: the offsets in between are delivered when they come (3), and nothing after them is committed
       before they are processed (2). Since 3, Faust sees no gap on the agents' inputs at all (it measures gaps
       from the read offset, None there): `add_no_gap` stays as the guard should a gap reach it anyway.
    2. Faust commits past an unacknowledged message at the head when the first acknowledged one is exactly one
       past the committed offset (`min(acked) - committed > 1`): here nothing is committed until the message at
       the committed offset itself has been acknowledged.
    3. Faust drops a message of a partition below the offset it read last, as read already. Around a rebalance
       that dropped the very messages fetched out of order in 1, and messages queued for an agent before a
       rebalance, which its stream skips (another consumer generation) and which are fetched again after the
       seek — the partition waited for them until a watchdog read it again (in one CI run it never did: 208
       claims missing). For the agents' input topics nothing is dropped here (`ReadOffsets`); the agents leave
       out what this process processed already (`agents.not_seen_before`)."""
    from faust.transport.consumer import Consumer

    if getattr(Consumer._new_offset, "processed_only", False):
        return
    new_offset = Consumer._new_offset
    consumer_init = Consumer.__init__

    def init_with_read_offsets(self: Any, *args: Any, **kwargs: Any) -> None:
        consumer_init(self, *args, **kwargs)
        self._read_offset = ReadOffsets(self.app.topics.acks_enabled_for)

    async def add_no_gap(self: Any, tp: Any, offset_from: int, offset_to: int) -> None:
        log.info("%s: offsets %d-%d came out of order (handed over before a seek, or dropped by the fetch): "
                 "nothing is committed past them until they are acknowledged", tp, offset_from, offset_to - 1)

    def next_offset_to_commit(self: Any, tp: Any) -> int | None:
        acked = self._acked[tp]
        committed = self._committed_offset.get(tp)
        if acked and committed is not None and min(acked) > committed:
            return None  # the message at the committed offset is not acknowledged yet
        result: int | None = new_offset(self, tp)
        return result

    next_offset_to_commit.processed_only = True  # type: ignore[attr-defined]
    Consumer._add_gap = add_no_gap  # type: ignore[method-assign]
    Consumer._new_offset = next_offset_to_commit  # type: ignore[method-assign]
    Consumer.__init__ = init_with_read_offsets  # type: ignore[method-assign]


class ReadOffsets(dict[Any, "int | None"]):
    """Faust's record of the offset each partition was read up to (None: not known). Its fetch loop drops a message
    below it, as read already; for topics whose messages are acknowledged — the agents' inputs — the loop is
    told None, so nothing is dropped. Everything else (and `.get`) sees the offset read last."""

    def __init__(self, acks_enabled_for: Any):
        super().__init__()
        self.acks_enabled_for = acks_enabled_for

    def __missing__(self, tp: Any) -> None:
        return None

    def __getitem__(self, tp: Any) -> int | None:
        if self.acks_enabled_for(tp.topic):
            return None
        return super().__getitem__(tp)


def broker_credentials(settings: Settings) -> faust.types.auth.CredentialsT | None:
    """Faust's form of the security settings (the same ones kafka-python gets)."""
    if settings.uses_sasl:
        return faust.SASLCredentials(username=settings.sasl_username, password=settings.sasl_password,
                                     mechanism=settings.sasl_mechanism, ssl_context=settings.ssl_context())
    context = settings.ssl_context()
    return faust.SSLCredentials(context) if context is not None else None


def create_app(settings: Settings) -> faust.App:
    timeouts = settings.group_timeouts()
    app = faust.App(
        settings.app_id,
        broker=settings.broker_url,
        broker_credentials=broker_credentials(settings),
        store="memory://",  # tables are rebuilt from their changelog topics on start
        topic_prefix="",
        topic_partitions=settings.partitions,
        topic_allow_declare=True,
        topic_disable_leader=True,
        processing_guarantee=settings.processing_guarantee,
        broker_rebalance_timeout=timeouts["broker_rebalance_timeout"],
        broker_session_timeout=timeouts["broker_session_timeout"],
        broker_heartbeat_interval=timeouts["broker_heartbeat_interval"],
        consumer_auto_offset_reset="earliest",
        web_host=settings.web_host,
        web_port=settings.web_port,
        web_in_thread=False,
        datadir=settings.data_dir,
        table_cleanup_interval=60.0,
        table_standby_replicas=0,  # a worker's tables hold only its own partitions (cleanup timers rely on it)
        # Faust compares the changelog offset it last read with the topic's end when a rebalance keeps a
        # partition; the embedded broker under-reports ends (streams/ends.py) and the worker crashed
        # (ConsistencyError, when a second worker left). The check guards RocksDB files against deleted topics;
        # these tables live in memory, so there is no file to disagree with.
        recovery_consistency_check=False,
        producer_acks=-1,
        producer_max_request_size=settings.message_max_bytes,
        producer_max_batch_size=settings.producer_max_batch_size,
        consumer_max_fetch_size=settings.message_max_bytes,
        Table=ConfirmedTable,
    )
    shorter_fetch_wait(settings.fetch_wait_ms)
    recover_to_exact_ends(settings)
    if settings.processing_guarantee == "at_least_once":  # exactly_once needs gaps: transaction markers
        commit_only_what_was_processed()
    setup_prometheus_sensors(app, name_prefix="faust")
    app.monitor = TableCountingMonitor(metrics=app.monitor._metrics)  # type: ignore[attr-defined]
    return app


class TableCountingMonitor(PrometheusMonitor):
    """Faust's Prometheus monitor, with the counter of table reads and writes looked up once per table and
    operation: Faust calls prometheus_client's `labels()` on every read and write, ~3 % of the worker's CPU."""

    def on_table_get(self, table: Any, key: Any) -> None:
        Monitor.on_table_get(self, table, key)
        self._table_operations(table.name, self.KEYS_RETRIEVED).inc()

    def on_table_set(self, table: Any, key: Any, value: Any) -> None:
        Monitor.on_table_set(self, table, key, value)
        self._table_operations(table.name, self.KEYS_UPDATED).inc()

    @functools.cache  # noqa: B019 - one monitor per process, a handful of (table, operation) pairs
    def _table_operations(self, table: str, operation: str) -> Any:
        return self._metrics.table_operations.labels(table=f"table.{table}", operation=operation)


class Topics:
    """The app's topic objects. Values stay raw bytes: decoding happens in our code, so a message
    that does not decode becomes a dead letter instead of an exception inside Faust."""

    def __init__(self, app: faust.App, settings: Settings):
        def topic(name: str) -> faust.TopicT:
            return app.topic(settings.topic(name), key_type=bytes, value_type=bytes, key_serializer="raw",
                             value_serializer="raw", partitions=settings.partitions)

        self.raw = topic(t.RAW)
        self.clean = topic(t.CLEAN)
        self.extracted = topic(t.EXTRACTED)
        self.enriched = topic(t.ENRICHED)
        self.claims = topic(t.CLAIMS)
        self.claim_links = topic(t.CLAIM_LINKS)
        self.actor_aggregates = topic(t.ACTOR_AGGREGATES)
        self.deadletter = topic(t.DEADLETTER)
        self.actor_claims = topic(t.ACTOR_CLAIMS)
        self.prepared = app.topic(settings.topic(t.PREPARED), key_type=bytes, value_type=bytes, key_serializer="raw",
                                  value_serializer="raw", partitions=1)

    def inputs(self) -> set[str]:
        """The names of the topics the agents read."""
        return {topic.get_topic_name() for topic in (self.raw, self.prepared, self.clean, self.extracted,
                                                     self.enriched, self.actor_claims)}


class AggregateTables:
    """Per actor: one tumbling pane table per window step (5 min, 1 h, 1 d; each pane knows the claims it counted),
    and recent claims per (actor, type) for links. All on event time; windows expire."""

    def __init__(self, app: faust.App, settings: Settings):
        def tumbling(name: str, size_s: int, keep_s: int) -> faust.types.tables.WindowWrapperT:
            return (app.Table(settings.topic(name), default=dict, partitions=settings.partitions)
                    .tumbling(timedelta(seconds=size_s), expires=timedelta(seconds=keep_s)).relative_to_stream())

        self.panes = {spec.label: tumbling(t.PANE_TABLES[spec.label], spec.step_s, pane_keep_s(spec))
                      for spec in WINDOWS}
        self.recent = tumbling(t.LINKS_TABLE, DAY_S, RECENT_KEEP_S)


def seen_table(app: faust.App, settings: Settings) -> TableT:
    """The state of `finish` (one partition, like articles.prepared): the articles seen, each with its MinHash
    signature and the lines it can teach (the LSH index and the outlets' line sightings are caches of it)."""
    # use_partitioner: with one partition every key lives in partition 0, so the table can also be written
    # outside stream iteration (the expiry timer).
    return app.Table(settings.topic(t.SEEN_TABLE), default=None, partitions=1, use_partitioner=True)


settings = from_env()
app = create_app(settings)
topics = Topics(app, settings)
direct_sends = settings.processing_guarantee == "at_least_once"  # exactly_once: sends belong to a transaction
aggregate_tables = AggregateTables(app, settings)
clean_seen = seen_table(app, settings)
