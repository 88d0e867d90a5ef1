"""The thin Faust agents: topic in -> stage function -> topic out (+ dead letters, metrics).

No agent raises on bad input: whatever a stage rejects, and whatever it fails on, goes to the
dead-letter topic with the original bytes and x-dlq-* headers, and the stream goes on.
"""

from __future__ import annotations

import asyncio
import logging
import time
import weakref
from collections.abc import AsyncIterator, Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, TypeVar

import faust
import faust.streams as faust_streams
from faust.types import EventT

from streams import codecs, metrics, redelivery
from streams.app import (
    aggregate_tables,
    app,
    clean_seen,
    confirm_writes,
    one_write_per_key,
    send,
    send_direct,
    settings,
    topics,
)
from streams.deadletter import Origin, bounded, dead_letter_headers
from streams.nlp.pipeline import default_registry, pipeline_for
from streams.records import (
    ActorAggregate,
    ActorClaims,
    Claim,
    ClaimLink,
    CleanArticle,
    EnrichedArticle,
    ExtractedArticle,
    RawArticle,
    Record,
)
from streams.settings import clean_config
from streams.stages import aggregates, boilerplate, dedupe
from streams.stages.boilerplate import LineKey, Sightings
from streams.stages.claims import claims as make_claims
from streams.stages.clean import (
    CleanConfig,
    finish,
    prepare,
    rebuild_in_steps,
    to_forget,
)
from streams.stages.dedupe import BandIndex
from streams.stages.enrich import enrich
from streams.stages.extract import extract_batch, unsupported
from streams.stages.rejected import Rejected
from streams.topics import LINES_CACHE

log = logging.getLogger(__name__)
R = TypeVar("R", bound=Record)
K = TypeVar("K")
metrics.initialise_labels()


def now() -> datetime:
    return datetime.now(UTC)


async def dead_letter(event: EventT, rejected: Rejected, stage: str) -> None:
    msg = event.message
    headers = dead_letter_headers(rejected, stage, Origin(msg.topic, msg.partition, msg.offset))
    value, headers = bounded(msg.value, headers)
    await send(topics.deadletter, key=msg.key, value=value, headers=headers)
    metrics.DEAD_LETTERS.labels(stage, rejected.reason).inc()
    metrics.MESSAGES.labels(stage, "deadletter").inc()
    log.warning("dead letter from %s: %s (%s[%d]@%d)", stage, rejected, msg.topic, msg.partition, msg.offset)


async def batches(stream: faust.StreamT, stage: str | None) -> AsyncIterator[Sequence[EventT]]:
    """Batches of events; `stage` counts them as its input (None: the stage's input was counted already).

    An event is acknowledged only once its batch has been processed and everything the batch sent or wrote is on
    the broker; a batch's table writes reach their changelog once per key, when it has been processed.
    take_events acknowledges the whole batch when it is closed, processed or not (as when Faust cancels agents on
    SIGTERM), so each event holds one more reference, released here when the agent asks for more."""
    async for batch in stream.take_events(settings.batch_size, within=settings.batch_within_s):  # type: ignore[attr-defined]
        for event in batch:
            event.message.incref()
        fresh = not_seen_before(batch)
        if stage:
            metrics.MESSAGES_IN.labels(stage).inc(len(fresh))
        if fresh:
            with one_write_per_key():
                yield fresh
        await confirm_writes()
        for event in batch:
            await stream.ack(event)
            finished.add(event.message.tp, event.message.offset)


finished: redelivery.Finished[Any] = redelivery.Finished()  # what the agents finished and is not yet committed


def forget_revoked(_sender: Any, /, *args: Any, signal: Any, **_kwargs: Any) -> None:
    """on_partitions_revoked: the revoked partitions come as the first argument."""
    finished.forget(args[0])


app.on_partitions_revoked.connect(forget_revoked)


def not_seen_before(batch: Sequence[EventT]) -> list[EventT]:
    """The events of a batch this process has not processed already (see streams.redelivery); the others are
    only acknowledged."""
    consumer: Any = app.consumer
    committed = consumer._committed_offset  # Faust's record of its commits (private)
    finished.forget_committed(committed)
    keep = redelivery.first_deliveries(((e.message.tp, e.message.offset) for e in batch), committed, finished)
    if not all(keep):
        metrics.REDELIVERED.inc(keep.count(False))
        log.info("%d messages delivered a second time: acknowledged without processing", keep.count(False))
    return [event for event, fresh in zip(batch, keep, strict=True) if fresh]


async def decode_batch(batch: Sequence[EventT], cls: type[R], stage: str) -> list[tuple[EventT, R]]:
    good: list[tuple[EventT, R]] = []
    for event in batch:
        record = codecs.decode(cls, event.value)
        if isinstance(record, Rejected):
            await dead_letter(event, record, stage)
        else:
            good.append((event, record))
    return good


async def run_per_item(stage: str, items: list[tuple[EventT, R]], fn: Callable[[R], Any]) -> list[tuple[EventT, Any]]:
    """Apply a stage function to each item; a crash on one item is that item's dead letter, not the worker's."""
    out: list[tuple[EventT, Any]] = []
    started = time.perf_counter()
    for event, item in items:
        try:
            result = fn(item)
        except Exception as exc:  # noqa: BLE001 - any failure of a stage on one input is a dead letter
            log.exception("%s failed on %s[%d]@%d", stage, event.message.topic, event.message.partition,
                          event.message.offset)
            result = Rejected("stage_error", f"{type(exc).__name__}: {exc}")
        if isinstance(result, Rejected):
            await dead_letter(event, result, stage)
        else:
            out.append((event, result))
    metrics.STAGE_SECONDS.labels(stage).observe(time.perf_counter() - started)
    return out


@app.agent(topics.raw)
async def clean_agent(stream: faust.StreamT) -> None:
    """The stateless half of cleaning, on every partition: validate, HTML, furniture lists, language."""
    async for batch in batches(stream, "clean"):
        decoded: list[tuple[EventT, Any]] = []
        for event in batch:
            raw = codecs.decode_raw_article(event.value, settings.max_article_bytes)
            if isinstance(raw, Rejected):
                await dead_letter(event, raw, "clean")
            else:
                decoded.append((event, raw))
        stamp = now()

        def prepare_now(raw: RawArticle, stamp: datetime = stamp) -> CleanArticle | Rejected:
            return prepare(raw, stamp)

        for _event, article in await run_per_item("clean", decoded, prepare_now):
            await send_direct(topics.prepared, key=article.id.encode(), value=codecs.encode(article))
            metrics.BOILERPLATE_LINES.labels("static", article.lang or "unknown").inc(article.boilerplate_removed)


REBUILD_STEP = 500  # clean-seen entries between two turns of the event loop: ~0.04 s of work on the bench host


class CleaningCaches:
    """What `finish` looks up, rebuilt from the `clean_seen` table when partitions move: the MinHash LSH index of
    recent originals and the outlets' line sightings (clean.rebuild_in_steps). Built on first use, once the table
    is recovered, a step at a time: at ~0.08 ms an entry, a table of 100,000 articles would hold the event loop
    8 s in one go — heartbeats, fetches and the other agents with it."""

    def __init__(self) -> None:
        self.index: BandIndex | None = None
        self.lines: dict[LineKey, Sightings] | None = None
        self.generation = 0  # one more at each reset

    async def get(self) -> tuple[BandIndex, dict[LineKey, Sightings]]:
        if self.index is not None and self.lines is not None:
            return self.index, self.lines
        generation = self.generation
        index, lines = await rebuild_cleaning_caches(list(clean_seen.items()), clean_config(settings))
        if generation == self.generation:  # kept for later articles unless partitions moved while it was built
            self.index, self.lines = index, lines
        return index, lines

    def reset(self, *args: Any, **kwargs: Any) -> None:
        self.index = self.lines = None
        self.generation += 1


async def rebuild_cleaning_caches(entries: Sequence[tuple[str, Mapping[str, Any]]], config: CleanConfig,
                                  step: int = REBUILD_STEP) -> tuple[BandIndex, dict[LineKey, Sightings]]:
    index: BandIndex = dedupe.new_index()
    lines: dict[LineKey, Sightings] = {}
    for _done in rebuild_in_steps(entries, index, lines, config, step):
        await asyncio.sleep(0)  # the loop's turn between steps
    if len(entries) > step:
        log.info("cleaning caches rebuilt from %d clean-seen entries", len(entries))
    return index, lines


cleaning_caches = CleaningCaches()
app.on_partitions_revoked.connect(cleaning_caches.reset)
app.on_partitions_assigned.connect(cleaning_caches.reset)


@app.agent(topics.prepared)
async def finish_agent(stream: faust.StreamT) -> None:
    """The stateful half of cleaning (one partition): learned furniture per outlet, near-duplicates."""
    config = clean_config(settings)
    async for batch in batches(stream, None):  # the second half of "clean": its input was counted in the first
        for event, article in await decode_batch(batch, CleanArticle, "clean"):
            started = time.perf_counter()
            try:
                index, lines = await cleaning_caches.get()
                done = finish(article, lines, clean_seen, index, time.time(), config)
            except Exception as exc:  # noqa: BLE001 - a failure on one article is its dead letter
                log.exception("finish failed on %s", article.id)
                done = Rejected("stage_error", f"{type(exc).__name__}: {exc}")
            if isinstance(done, Rejected):
                await dead_letter(event, done, "clean")
                continue
            lines.update(done.lines)
            for key, value in done.seen.items():
                clean_seen[key] = value
            if done.index_signature is not None:
                dedupe.index_add(index, done.article.id, done.index_signature)
            cleaned = done.article
            await send_direct(topics.clean, key=cleaned.id.encode(), value=codecs.encode(cleaned))
            metrics.STAGE_SECONDS.labels("clean").observe(time.perf_counter() - started)
            count_cleaned(cleaned)


def count_cleaned(article: CleanArticle) -> None:
    lang = article.lang or "unknown"
    metrics.BOILERPLATE_LINES.labels("learned", lang).inc(article.boilerplate_learned)
    metrics.ARTICLES_BY_LANGUAGE.labels(lang).inc()
    if article.duplicate_of:
        metrics.DUPLICATES.labels(lang).inc()
    if article.lang_supported:
        metrics.MESSAGES.labels("clean", "ok").inc()
    else:
        metrics.UNSUPPORTED_LANGUAGE.labels(lang).inc()
        metrics.MESSAGES.labels("clean", "skipped").inc()


def forget_every_s(learn_window_s: float, dedupe_window_s: float) -> float:
    """How often the cleaning tables drop what their windows left behind: every 10 minutes, more often for windows
    shorter than 40 minutes (a table holds at most a quarter window more than its window)."""
    return min(600.0, max(5.0, min(learn_window_s, dedupe_window_s) / 4))


SWEEP_STEP = 20_000  # keys judged between two turns of the event loop: ~0.07 s for the line sightings


async def steps_of(keys: list[K], step: int = SWEEP_STEP) -> AsyncIterator[list[K]]:
    """Keys a step at a time, the event loop's turn between steps: with 100,000 articles seen, judging the ~600,000
    line sightings in one go held the loop ~2 s every sweep."""
    for start in range(0, len(keys), step):
        if start:
            await asyncio.sleep(0)
        yield keys[start:start + step]


@app.timer(interval=forget_every_s(settings.learn_window_s, settings.dedupe_window_s))
async def forget_old_cleaning_state() -> None:
    """Keep the cleaning state bounded: sightings older than the learning window go from the cache, signatures
    older than the dedupe window from the entries and the index, entries older than both from the table. A step
    at a time, each judged on the values current at that step; a rebalance ends the sweep (the next one, on
    whichever worker holds the table then, takes it up)."""
    stamp, generation = time.time(), cleaning_caches.generation
    config = clean_config(settings)
    async for line_keys in steps_of(list(cleaning_caches.lines or ())):
        lines = cleaning_caches.lines  # None until built: nothing to trim there
        if lines is None or cleaning_caches.generation != generation:
            break
        current_lines = [(k, lines[k]) for k in line_keys if k in lines]
        for line_key in boilerplate.expired(current_lines, stamp, config.learn_window_s):
            del lines[line_key]
    async for keys in steps_of(list(clean_seen.keys())):
        if cleaning_caches.generation != generation:
            break
        index = cleaning_caches.index
        current = [(k, clean_seen[k]) for k in keys if k in clean_seen]
        gone, stripped = to_forget(current, stamp, config)
        for key in gone:
            del clean_seen[key]
        for key, entry in stripped.items():
            clean_seen[key] = entry
        if index is not None:
            for key in gone | stripped.keys():
                dedupe.index_remove(index, key)
    await confirm_writes()


@app.agent(topics.clean)
async def extract_agent(stream: faust.StreamT) -> None:
    async for batch in batches(stream, "extract"):
        items = []
        for event, article in await decode_batch(batch, CleanArticle, "extract"):
            rejected = unsupported(article)  # cleaned and counted, but nothing reads it from here on
            if rejected is None:
                items.append((event, article))
            else:
                await dead_letter(event, rejected, "extract")
        started = time.perf_counter()
        try:
            results: list[ExtractedArticle] = extract_batch([a for _, a in items], pipeline_for)
        except Exception:  # noqa: BLE001 - one bad article must not sink the batch: retry one by one
            log.exception("extract failed on a batch; retrying its articles one at a time")
            singles = await run_per_item("extract", items, lambda a: extract_batch([a], pipeline_for)[0])
            results = [r for _, r in singles]
        metrics.STAGE_SECONDS.labels("extract").observe(time.perf_counter() - started)
        for extracted in results:
            await send_direct(topics.extracted, key=extracted.article.id.encode(), value=codecs.encode(extracted))
            metrics.MESSAGES.labels("extract", "ok").inc()


@app.agent(topics.extracted)
async def enrich_agent(stream: faust.StreamT) -> None:
    registry = default_registry()
    async for batch in batches(stream, "enrich"):
        items = await decode_batch(batch, ExtractedArticle, "enrich")
        for _event, enriched in await run_per_item("enrich", items, lambda x: enrich(x, registry)):
            await send_direct(topics.enriched, key=enriched.article.id.encode(), value=codecs.encode(enriched))
            metrics.MESSAGES.labels("enrich", "ok").inc()


@app.agent(topics.enriched)
async def claims_agent(stream: faust.StreamT) -> None:
    async for batch in batches(stream, "claims"):
        items = await decode_batch(batch, EnrichedArticle, "claims")
        article_of = {id(event): enriched.article for event, enriched in items}
        for event, found in await run_per_item("claims", items, make_claims):
            await publish_claims(found)
            if found:
                observe_latency(article_of[id(event)], time.time())
            metrics.MESSAGES.labels("claims", "ok").inc()


def observe_latency(article: CleanArticle, at: float) -> None:
    """Seconds from the worker reading the article, and from its publication, to its claims being sent."""
    for since, stamp in (("ingest", article.ingested_at), ("published", article.published_at)):
        moment = aggregates.epoch_seconds(stamp)
        if moment is not None and moment <= at:
            metrics.CLAIM_LATENCY.labels(since).observe(at - moment)



async def publish_claims(claims: list[Claim]) -> None:
    """An article's claims, then one event per actor for the aggregator: re-keyed by actor so each actor's panes
    live in one partition, stamped with event time."""
    for claim in claims:
        await send_direct(topics.claims, key=claim.claim_id.encode(), value=codecs.encode(claim))
        metrics.CLAIMS.labels(claim.type, claim.certainty, claim.lang).inc()
    for event in aggregates.actor_events(claims, time.time()):
        await send_direct(topics.actor_claims, key=event["actor_id"].encode(), value=codecs.encode(event),
                          timestamp=event["at"])


dirty_actors: set[str] = set()  # changed since the last publish (debounced by the publish timer)


@app.agent(topics.actor_claims)
async def aggregate_agent(stream: faust.StreamT) -> None:
    """Count each (actor, claim) of an actor event once into its panes, link it to recent claims of other sources.
    In batches: the writes of a whole batch are confirmed with one wait instead of one per event."""
    async for batch in batches(stream, "aggregates"):
        started = time.perf_counter()
        for event in batch:
            decoded = codecs.decode(ActorClaims, event.value)
            if isinstance(decoded, Rejected):
                await dead_letter(event, decoded, "aggregates")
                continue
            try:
                with acting_for(event):
                    links = [link for claim in aggregates.claims_of(decoded.to_representation())
                             for link in count_claim(claim)]
            except Exception as exc:  # noqa: BLE001 - a failure on one event is its dead letter, not the worker's
                log.exception("aggregates failed on %s[%d]@%d", event.message.topic, event.message.partition,
                              event.message.offset)
                await dead_letter(event, Rejected("stage_error", f"{type(exc).__name__}: {exc}"), "aggregates")
                continue
            for link in links:
                await send_direct(topics.claim_links, key=link.actor_id.encode(), value=codecs.encode(link))
            metrics.MESSAGES.labels("aggregates", "ok").inc()
        metrics.STAGE_SECONDS.labels("aggregates").observe(time.perf_counter() - started)


@contextmanager
def acting_for(event: EventT) -> Iterator[None]:
    """Make `event` Faust's current event while its table writes are made: a table writes its changelog to the
    current event's partition, and a windowed table picks the window from its timestamp (stream iteration sets
    it per event; a batch from take_events has to, per event)."""
    token = faust_streams._current_event.set(weakref.ref(event))
    try:
        yield
    finally:
        faust_streams._current_event.reset(token)


class TableStore:
    """The aggregate tables as count_in reads and writes them (writes with the event current: see acting_for)."""

    def __init__(self) -> None:
        self.tables: dict[str, Any] = {**aggregate_tables.panes, aggregates.RECENT: aggregate_tables.recent}

    def get(self, table: str, key: str, start: float) -> Any:
        return at_time(self.tables[table], key, start)

    def set(self, table: str, key: str, start: float, value: Any) -> None:
        # at the pane's start, as `get` reads it (Faust's public setter takes the event's Kafka timestamp instead)
        self.tables[table].table._set_windowed(key, value, start)


def count_claim(data: Mapping[str, Any]) -> list[ClaimLink]:
    """Count one actor-claim event into the tables; the links it makes."""
    counted = aggregates.count_in(data, table_store)
    if counted.changed:
        dirty_actors.add(str(data["actor_id"]))
    return counted.links


def at_time(wrapper: Any, key: str, timestamp: float) -> Any:
    """A windowed table's value for `key` in the window holding `timestamp` (readable outside a stream)."""
    return wrapper.table._windowed_timestamp(key, timestamp)


table_store = TableStore()


def window_of(actor: str, label: str, end: float) -> dict[str, Any]:
    spec = aggregates.WINDOW_BY_LABEL[label]
    table = aggregate_tables.panes[label]
    return aggregates.merge(at_time(table, actor, start) or {} for start in aggregates.window_panes(spec, end))


@app.timer(interval=settings.aggregate_publish_s)
async def publish_aggregates() -> None:
    """Debounced: every actor changed since the last tick gets its 1h, 24h and 7d records, ending now. After a
    (re)start, once the tables are recovered, every actor this worker holds is published once."""
    global republished
    if not republished and app.tables.recovery.completed.is_set():  # type: ignore[attr-defined]
        republished = True
        dirty_actors.update(local_actors())
    if not dirty_actors:
        return
    actors = sorted(dirty_actors)
    dirty_actors.clear()
    end, stamp = time.time(), now()
    for actor in actors:
        for spec in aggregates.WINDOWS:
            record = aggregates.record(actor, spec, end, window_of(actor, spec.label, end), stamp)
            await send_direct(topics.actor_aggregates, key=actor.encode(), value=codecs.encode(record))
            metrics.AGGREGATES_PUBLISHED.labels(spec.label).inc()
    await confirm_writes()  # no input offset depends on these, but the timer's list must not grow


republished = False


def local_actors() -> set[str]:
    """Actors with a 1-day pane in this worker's partitions."""
    data = aggregate_tables.panes["7d"].table.data  # keys are (actor, (window start, window end))
    return {key[0] for key in data if isinstance(key, tuple)}


@app.page("/actors/{actor_id}")
async def actor_view(web: Any, request: Any, actor_id: str) -> Any:
    """GET /actors/{id}?window=24h: the actor's record for a window ending now (404 unknown, 400 bad window)."""
    label = request.query.get("window", "24h")
    if label not in aggregates.WINDOW_BY_LABEL:
        return web.json({"error": f"window must be one of {', '.join(aggregates.WINDOW_BY_LABEL)}"}, status=400)
    if actor_id not in local_actors():
        return web.json({"error": f"no claims about actor {actor_id!r} in the last 7 days"}, status=404)
    return web.json(actor_record(actor_id, label, time.time()).to_representation())


@app.page("/actors")
async def actors_view(web: Any, request: Any) -> Any:
    """GET /actors?window=24h&top=20: the actors with most claims in the window (this worker's partitions)."""
    label = request.query.get("window", "24h")
    if label not in aggregates.WINDOW_BY_LABEL:
        return web.json({"error": f"window must be one of {', '.join(aggregates.WINDOW_BY_LABEL)}"}, status=400)
    try:
        top = int(request.query.get("top", "20"))
    except ValueError:
        top = 0
    if not 1 <= top <= 1000:
        return web.json({"error": "top must be an integer from 1 to 1000"}, status=400)
    end = time.time()
    records = [actor_record(actor, label, end) for actor in local_actors()]
    records = sorted((r for r in records if r.claims), key=lambda r: (-r.claims, r.actor_id))[:top]
    return web.json([r.to_representation() for r in records])


def actor_record(actor: str, label: str, end: float) -> ActorAggregate:
    spec = aggregates.WINDOW_BY_LABEL[label]
    return aggregates.record(actor, spec, end, window_of(actor, label, end), now())


lag_labels: set[tuple[str, str]] = set()  # the (topic, partition) series set last time


STALL_S = 20.0  # waiting messages, nothing committed and nothing in hand for this long: the partition is stuck
progress_seen: dict[Any, tuple[int, float]] = {}  # tp -> (start offset, since when)
read_again_from: dict[Any, int] = {}  # tp -> the offset it was last read again from


def stalled(lags: Mapping[Any, int], starts: Mapping[Any, int], busy: set[Any],
            seen: dict[Any, tuple[int, float]], now: float, stall_s: float = STALL_S) -> list[Any]:
    """Partitions with messages waiting whose start offset has not moved for `stall_s` while no agent holds one of
    their messages. A safety net: Faust used to drop fetched messages around a rebalance or a restart and then
    skip them as already read, until the next restart (seen: 510 articles waiting on one partition, the worker
    idle; streams.app.ReadOffsets stops that). Messages queued for an agent but not yet taken are not in its
    hands: a partition whose messages wait behind others' for `stall_s` is read again needlessly, and its
    repeats are left out (`not_seen_before`). Updates `seen` (tp -> (start, since))."""
    out = []
    for tp, lag in lags.items():
        start = starts[tp]
        if lag <= 0 or tp in busy or seen.get(tp, (None, 0.0))[0] != start:
            seen[tp] = (start, now)
        elif now - seen[tp][1] >= stall_s:
            out.append(tp)
            seen[tp] = (start, now)  # give the re-read time before judging again
    for tp in set(seen) - set(lags):
        del seen[tp]
    return out


def messages_in_hand(consumer: Any) -> list[Any]:
    """Messages handed to an agent and not yet acknowledged. Faust's record of them (private) also keeps acknowledged
    ones it did not count (below the committed offset, or acknowledged before) until they are garbage: those are
    not in anyone's hands."""
    return [m for m in list(consumer._unacked_messages) if not m.acked]


async def fetch_position(consumer: Any, tp: Any) -> int | None:
    """Where the worker's next fetch of `tp` starts; None while it is being reset or when the partition has just
    been taken away (a lag reading must not stop the timer)."""
    try:
        return int(await asyncio.wait_for(consumer.position(tp), POSITION_TIMEOUT_S))
    except Exception:  # noqa: BLE001 - IllegalStateError (unassigned meanwhile), a timeout, a closed consumer
        return None


POSITION_TIMEOUT_S = 1.0


@app.timer(interval=5.0)
async def measure_lag_and_tables() -> None:
    """Consumer lag on the input partitions this worker owns, and its table sizes, for /metrics; a partition
    stuck with messages waiting is read again from its committed offset (see `stalled`)."""
    consumer = app.consumer
    owned = sorted(tp for tp in consumer.assignment() if tp.topic in topics.inputs())
    ends = await consumer.highwaters(*owned) if owned else {}
    # The embedded broker's ends stop short of a partition's last record batch (streams/ends.py; read exactly only
    # where an end decides how far to read): the messages fetched already count as well.
    fetched = {tp: await fetch_position(consumer, tp) for tp in owned}
    committed = getattr(consumer, "_committed_offset", {})  # Faust's record of its commits (the next offset)
    never = [tp for tp in owned if committed.get(tp) is None]
    earliest = await consumer.earliest_offsets(*never) if never else {}
    now_set = set()
    starts: dict[Any, int] = {}
    lags: dict[Any, int] = {}
    for tp in owned:
        start = committed.get(tp)
        starts[tp] = int(start if start is not None else earliest.get(tp, 0) or 0)
        lag = max(0, max(ends.get(tp, 0), fetched.get(tp) or 0) - starts[tp])
        lags[tp] = lag
        labels = (tp.topic, str(tp.partition))
        metrics.CONSUMER_LAG.labels(*labels).set(lag)
        now_set.add(labels)
    if app.flow_control.is_active():  # not while recovering or draining
        busy = {m.tp for m in messages_in_hand(consumer)}
        for tp in stalled(lags, starts, busy, progress_seen, time.monotonic()):
            log.warning("%s[%d]: %d messages waiting and none taken for %.0f s: reading again from offset %d",
                        tp.topic, tp.partition, lags[tp], STALL_S, starts[tp])
            if read_again_from.get(tp) == starts[tp]:
                log.error("%s[%d]: still nothing from offset %d after reading it again. On the embedded broker this "
                          "is its fetch running out of time on a large partition: set CLAIMSTREAM_FETCH_MAX_WAIT_MS "
                          "(e.g. 500) or use Apache Kafka (README, \"The embedded broker\")", tp.topic, tp.partition,
                          starts[tp])
            read_again_from[tp] = starts[tp]
            metrics.READ_AGAIN.inc()
            await consumer.seek(tp, starts[tp])
    for labels in lag_labels - now_set:  # partitions moved to another worker
        metrics.CONSUMER_LAG.remove(*labels)
    lag_labels.clear()
    lag_labels.update(now_set)
    for name, table in app.tables.items():
        metrics.TABLE_KEYS.labels(name).set(len(table.data))
    metrics.TABLE_KEYS.labels(settings.topic(LINES_CACHE)).set(len(cleaning_caches.lines or ()))
