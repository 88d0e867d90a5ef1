"""The measurements of `claimstream bench`, all on the same generated stories in one run:

(a) ceiling: the spaCy blank tokenizer + sentencizer alone on the cleaned bodies — what any design that reads the
    text must pay; (b) in-process: the pure stage functions, page to claim and into the aggregates, no Kafka;
(c) end to end: an embedded broker, N worker processes, articles produced with aiokafka, claims read back —
    throughput at full load, produce-to-claim latency at full and at half load, worker peak RSS and CPU.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import spacy

from streams import codecs
from streams import topics as t
from streams.bench.corpus import Story
from streams.broker import EmbeddedBroker, _die_with_parent, create_topics, free_port
from streams.offline import process
from streams.records import Claim
from streams.settings import from_env
from streams.stages import aggregates
from streams.stages.clean import CleanMemory, clean
from streams.stages.rejected import Rejected

Progress = Callable[[str], None]


@dataclass(frozen=True)
class Throughput:
    articles: int
    sentences: int
    seconds: float

    @property
    def articles_per_s(self) -> float:
        return self.articles / self.seconds if self.seconds else 0.0

    @property
    def sentences_per_s(self) -> float:
        return self.sentences / self.seconds if self.seconds else 0.0

    def asdict(self) -> dict[str, float]:
        return {"articles": self.articles, "sentences": self.sentences, "seconds": round(self.seconds, 3),
                "articles_per_s": round(self.articles_per_s, 2), "sentences_per_s": round(self.sentences_per_s, 1)}


def percentiles(values: Sequence[float]) -> dict[str, float]:
    """p50/p95/p99 (nearest rank) in seconds; empty when there is nothing to rank."""
    if not values:
        return {}
    ranked = sorted(values)

    def rank(q: float) -> float:
        return round(ranked[min(len(ranked) - 1, max(0, int(q * len(ranked) + 0.999999) - 1))], 4)

    return {"p50": rank(0.50), "p95": rank(0.95), "p99": rank(0.99), "n": len(ranked)}


# --- (a) the ceiling ---------------------------------------------------------------------------------------------

def cleaned_bodies(stories: Iterable[Story]) -> list[tuple[str, str]]:
    """(lang, body) of each story after cleaning: the text every later stage reads."""
    memory, out = CleanMemory(), []
    for s in stories:
        raw = codecs.decode_raw_article(orjson.dumps(s.article), 4 * 1024 * 1024)
        done = raw if isinstance(raw, Rejected) else clean(raw, datetime.now(UTC), memory)
        if not isinstance(done, Rejected):
            out.append((done.lang or "en", done.body))
    return out


def ceiling(bodies: list[tuple[str, str]]) -> tuple[Throughput, int]:
    """spaCy tokenizer + sentencizer on the bodies (nlp.pipe per language); returns the tokens counted too."""
    models = {}
    for lang in sorted({lang for lang, _ in bodies}):
        models[lang] = spacy.blank(lang)
        models[lang].add_pipe("sentencizer")
        list(models[lang].pipe(b for lg, b in bodies[:20] if lg == lang))  # warm
    sentences = tokens = 0
    started = time.perf_counter()
    for lang, model in models.items():
        for doc in model.pipe((b for lg, b in bodies if lg == lang), batch_size=64):
            sentences += sum(1 for _ in doc.sents)
            tokens += len(doc)
    return Throughput(len(bodies), sentences, time.perf_counter() - started), tokens


# --- (b) in-process ----------------------------------------------------------------------------------------------

class InMemoryAggregates:
    """The aggregate agent's bookkeeping on a dict: panes per window step and recent claims for links, counted by the
    same pure function (aggregates.count_in) the agent applies to its tables."""

    def __init__(self) -> None:
        self.store = aggregates.DictStore()
        self.events = 0
        self.links = 0

    def add(self, claims: list[Claim], now: float) -> None:
        """One article's claims, as the aggregate agent takes them: one event per actor."""
        for actor_event in aggregates.actor_events(claims, now):
            self.events += 1
            for event in aggregates.claims_of(actor_event):
                self.links += len(aggregates.count_in(event, self.store).links)


@dataclass(frozen=True)
class InProcess:
    throughput: Throughput
    claims: list[Claim]
    actor_events: int


def in_process(stories: list[Story], sentences: int, warm: list[Story]) -> InProcess:
    """Every pure stage, page to claim (offline.process: the agents' functions, batched for nlp.pipe), then each
    claim into the aggregates."""
    list(process(((s.article["id"], s.article) for s in warm), 4 * 1024 * 1024))  # load the pipelines
    started = time.perf_counter()
    found: list[Claim] = []
    tables, now = InMemoryAggregates(), time.time()
    for outcome in process(((s.article["id"], s.article) for s in stories), 4 * 1024 * 1024):
        found += outcome.claims
        tables.add(outcome.claims, now)
    seconds = time.perf_counter() - started
    return InProcess(Throughput(len(stories), sentences, seconds), found, tables.events)


# --- (c) end to end ----------------------------------------------------------------------------------------------

def proc_status(pid: int) -> dict[str, float]:
    """Peak and current RSS (MB) and CPU seconds of a process, from /proc."""
    out: dict[str, float] = {}
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(("VmHWM:", "VmRSS:")):
                out[line[:5].lower()] = int(line.split()[1]) / 1024
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        out["cpu_s"] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        pass
    return out


def read_metrics(port: int) -> str | None:
    """A worker's /metrics text; None while it does not answer."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
            return str(response.read().decode())
    except OSError:
        return None


def sample_sums(text: str, line_prefixes: Sequence[str]) -> list[float]:
    """Per prefix, the sum of the Prometheus samples whose line starts with it."""
    totals = [0.0] * len(line_prefixes)
    for line in text.splitlines():
        for n, prefix in enumerate(line_prefixes):
            if line.startswith(prefix):
                totals[n] += float(line.rpartition(" ")[2])
    return totals


def metric_sums(ports: Iterable[int], line_prefixes: Sequence[str]) -> tuple[float, ...]:
    """Sums over workers of Prometheus samples, one read of /metrics per worker (0 where a worker does not answer
    yet)."""
    totals = [0.0] * len(line_prefixes)
    for port in ports:
        for n, value in enumerate(sample_sums(read_metrics(port) or "", line_prefixes)):
            totals[n] += value
    return tuple(totals)


# What each stage took in, by the metric that counts it: the stateful half of cleaning ("finish") counts the
# articles it let through by language; the others count their input messages.
STAGE_INPUTS = {"clean": 'claimstream_messages_in_total{stage="clean"} ',
                "finish": "claimstream_articles_by_language_total{",
                "extract": 'claimstream_messages_in_total{stage="extract"} ',
                "enrich": 'claimstream_messages_in_total{stage="enrich"} ',
                "claims": 'claimstream_messages_in_total{stage="claims"} ',
                "aggregates": 'claimstream_messages_in_total{stage="aggregates"} '}


# What a worker wrote to its tables' changelogs, per table (one record per key and batch).
CHANGELOG_RECORDS = "claimstream_changelog_records_total{"
WORK = {**STAGE_INPUTS, "changelog_records": CHANGELOG_RECORDS}


def work_done(port: int) -> dict[str, float]:
    """What one worker has done so far: each stage's input (the work split between workers), changelog records."""
    return dict(zip(WORK, sample_sums(read_metrics(port) or "", list(WORK.values())), strict=True))


AGGREGATED = STAGE_INPUTS["aggregates"]
ARTICLES_DONE = 'claimstream_messages_out_total{outcome="ok",stage="claims"} '


@dataclass
class Load:
    """One load phase: when each article went out, when each of its claims came back."""

    sent_at: dict[str, float] = field(default_factory=dict)
    latencies: list[float] = field(default_factory=list)
    claims: int = 0
    # (article, actor) of those claims: one actor event each, every one of which the aggregates must take in
    actor_events: set[tuple[str, str]] = field(default_factory=set)
    first_sent: float = 0.0
    finished: float = 0.0

    def throughput(self, sentences: int) -> Throughput:
        return Throughput(len(self.sent_at), sentences, self.finished - self.first_sent)


class Cluster:
    """An embedded broker on a free port and N `claimstream worker` processes sharing one consumer group."""

    def __init__(self, workers: int, workdir: Path):
        self.workdir = workdir
        self.broker = EmbeddedBroker("127.0.0.1", free_port(), log_file=workdir / "tansu.log")
        self.ports = [free_port() for _ in range(workers)]
        self.procs: list[subprocess.Popen[bytes]] = []
        self.env = {**os.environ, "CLAIMSTREAM_TOPIC_PREFIX": "bench.", "CLAIMSTREAM_APP_ID": "claimstream-bench",
                    "CLAIMSTREAM_LOG_LEVEL": "info"}

    def start(self, ready_timeout_s: float = 180) -> Cluster:
        try:
            return self._start(ready_timeout_s)
        except BaseException:
            self.stop()  # no broker or worker left behind
            raise

    def _start(self, ready_timeout_s: float) -> Cluster:
        self.broker.start()
        self.env["CLAIMSTREAM_BROKER"] = self.broker.url
        settings = from_env(self.env)
        create_topics(settings.bootstrap_servers, t.all_topics(settings), t.topic_configs(settings))
        self.raw, self.claims = settings.topic(t.RAW), settings.topic(t.CLAIMS)
        for n, port in enumerate(self.ports):
            env = {**self.env, "CLAIMSTREAM_WEB_PORT": str(port), "CLAIMSTREAM_DATA_DIR": str(self.workdir / f"w{n}")}
            with open(self.workdir / f"worker-{n}.log", "ab") as log:
                # the Faust worker itself, unsupervised: its pid is the process whose RSS and CPU are measured
                command = [sys.executable, "-m", "streams", "worker", "--no-supervise"]
                self.procs.append(subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT,
                                                   cwd=self.workdir,
                                                   preexec_fn=_die_with_parent))  # no orphan if the bench dies
        deadline = time.monotonic() + ready_timeout_s
        while not all(self._ready(n) for n in range(len(self.procs))):
            if time.monotonic() > deadline or any(p.poll() is not None for p in self.procs):
                raise RuntimeError(f"workers not ready; see the logs in {self.workdir}")
            time.sleep(0.3)
        return self

    def _ready(self, n: int) -> bool:
        return b"Worker ready" in (self.workdir / f"worker-{n}.log").read_bytes()

    def status(self) -> list[dict[str, float]]:
        return [proc_status(p.pid) for p in self.procs]

    def progress(self) -> tuple[float, ...]:
        """Articles done and actor events aggregated, over all workers: standing still means stuck. One read of
        each worker's /metrics (it costs the worker CPU: ~8 ms a read at full load, so `drive` reads it once a
        second until the end is near)."""
        return metric_sums(self.ports, (ARTICLES_DONE, AGGREGATED))

    def stop(self) -> None:
        for p in self.procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in self.procs:
            try:
                p.wait(40)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        self.broker.stop()


@dataclass(frozen=True)
class Goal:
    """When a load phase is over: every one of its articles through the claims stage, and every actor event of
    their claims taken in by the aggregates (the workers' counters, above where they stood at its start)."""

    articles: int
    done_before: float
    aggregated_before: float

    def met(self, load: Load, progress: tuple[float, ...]) -> bool:
        return (progress[0] >= self.done_before + self.articles
                and progress[1] >= self.aggregated_before + len(load.actor_events))

    def near(self, progress: tuple[float, ...]) -> bool:
        """Nine in ten articles through: from here the workers' counters are read often, for a precise end."""
        return progress[0] >= self.done_before + 0.9 * self.articles


POLL_S, POLL_NEAR_END_S = 1.0, 0.1


async def drive(cluster: Cluster, stories: Sequence[Story], rate: float | None, goal: Goal,
                timeout_s: float = 1800, settle_s: float = 1.0, stall_s: float = 120) -> Load:
    """Produce the stories (as fast as aiokafka goes, or `rate` a second) and read their claims as they arrive,
    until `goal` is met (the workers' metrics read once a second, ten times a second near the end: the finish
    time to 0.1 s, and the reads cost the workers little); then read for `settle_s` more. Fails when the workers'
    counters stand still for `stall_s` (a stuck pipeline, not a slow one)."""
    from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

    load = Load()
    wanted = {s.article["id"] for s in stories}
    consumer = AIOKafkaConsumer(bootstrap_servers=cluster.broker.bootstrap, enable_auto_commit=False)
    await consumer.start()
    partitions = [TopicPartition(cluster.claims, p) for p in sorted(consumer.partitions_for_topic(cluster.claims)
                                                                     or await _partitions(consumer, cluster.claims))]
    consumer.assign(partitions)
    await consumer.seek_to_end(*partitions)
    for tp in partitions:  # resolve the end now, so claims produced from here on are all read
        await consumer.position(tp)
    stop_reading = asyncio.Event()

    async def read() -> None:
        while not stop_reading.is_set():
            batches = await consumer.getmany(timeout_ms=100, max_records=5000)
            arrived = time.time()
            for records in batches.values():
                for record in records:
                    claim = orjson.loads(record.value)
                    if claim.get("article_id") in wanted:
                        load.claims += 1
                        load.latencies.append(arrived - load.sent_at[claim["article_id"]])
                        load.actor_events.update((claim["article_id"], actor)
                                                 for actor in aggregates.actor_keys(Claim.from_data(claim)))

    reader = asyncio.create_task(read())
    producer = AIOKafkaProducer(bootstrap_servers=cluster.broker.bootstrap, acks="all", linger_ms=5,
                                max_request_size=8 * 1024 * 1024)
    await producer.start()
    try:
        load.first_sent = time.time()
        for n, s in enumerate(stories):
            if rate:
                await asyncio.sleep(max(0.0, load.first_sent + n / rate - time.time()))
            load.sent_at[s.article["id"]] = time.time()
            await producer.send(cluster.raw, orjson.dumps(s.article), key=s.article["id"].encode())
        await producer.flush()
        deadline = time.monotonic() + timeout_s
        last_progress, progressed_at = await asyncio.to_thread(cluster.progress), time.monotonic()
        while not goal.met(load, progress := await asyncio.to_thread(cluster.progress)):
            now = time.monotonic()
            if progress != last_progress:
                last_progress, progressed_at = progress, now
            if now > deadline or now - progressed_at > stall_s:
                why = f"made no progress for {stall_s:.0f} s" if now <= deadline else f"ran out of {timeout_s:.0f} s"
                raise TimeoutError(f"the workers {why} on {len(stories)} stories ({load.claims} claims read; "
                                   f"articles done, actor events aggregated: {progress}); logs in {cluster.workdir}")
            await asyncio.sleep(POLL_NEAR_END_S if goal.near(progress) else POLL_S)
        load.finished = time.time()
        await asyncio.sleep(settle_s)
    finally:
        stop_reading.set()
        await reader
        await producer.stop()
        await consumer.stop()
    return load


async def _partitions(consumer: Any, topic: str) -> set[int]:
    for _ in range(50):
        await consumer._client.force_metadata_update()
        found = consumer.partitions_for_topic(topic)
        if found:
            return set(found)
        await asyncio.sleep(0.1)
    raise RuntimeError(f"topic {topic} has no partitions")


@dataclass(frozen=True)
class EndToEnd:
    workers: int
    full: Throughput
    latency_full: dict[str, float]
    half_rate: float
    latency_half: dict[str, float]
    rss_mb: list[float]
    cpu_s: dict[str, float]
    rss_mb_warm: list[float]  # peak RSS after start and warm-up, before the full load
    work: list[dict[str, float]]  # what each worker did during the full load: work_done's counts

    def asdict(self) -> dict[str, Any]:
        return {"workers": self.workers, "throughput": self.full.asdict(), "latency_full_load_s": self.latency_full,
                "half_load_articles_per_s": round(self.half_rate, 2), "latency_half_load_s": self.latency_half,
                "worker_rss_mb_peak": [round(r, 1) for r in self.rss_mb],
                "worker_rss_mb_after_warm_up": [round(r, 1) for r in self.rss_mb_warm], "cpu_s_full_load": self.cpu_s,
                "stage_inputs_full_load": [{k: w[k] for k in STAGE_INPUTS} for w in self.work],
                "changelog_records_full_load": [w["changelog_records"] for w in self.work]}


def end_to_end(workers: int, main: list[Story], half: list[Story], warm: list[Story], sentences: int,
               workdir: Path, progress: Progress) -> EndToEnd:
    """Full load: every story at once, timed from the first send until every story's claims are out and the
    aggregates have taken in every actor event those claims make. Half load: other stories at half the
    full-load rate, for their latency."""
    workdir.mkdir(parents=True, exist_ok=True)
    progress(f"{workers} worker(s): starting the embedded broker and the workers")
    cluster = Cluster(workers, workdir).start()

    def all_done(count: int) -> Goal:
        return Goal(count, *cluster.progress())

    try:
        progress(f"{workers} worker(s): warming up on {len(warm)} stories")
        asyncio.run(drive(cluster, warm, None, all_done(len(warm)), timeout_s=300, settle_s=2.0))
        before = cpu_seconds(cluster)
        work_before = [work_done(port) for port in cluster.ports]
        warm_rss = [s.get("vmhwm", 0.0) for s in cluster.status()]
        progress(f"{workers} worker(s): full load, {len(main)} stories at once")
        full = asyncio.run(drive(cluster, main, None, all_done(len(main))))
        cpu = {k: round(v - before[k], 2) for k, v in cpu_seconds(cluster).items()}
        work = [{k: n - was[k] for k, n in work_done(port).items()}
                for port, was in zip(cluster.ports, work_before, strict=True)]
        throughput = full.throughput(sentences)
        rate = max(0.5, throughput.articles_per_s / 2)
        progress(f"{workers} worker(s): half load, {len(half)} stories at {rate:.1f}/s")
        half_load = asyncio.run(drive(cluster, half, rate, all_done(len(half))))
        rss = [s.get("vmhwm", 0.0) for s in cluster.status()]
    finally:
        cluster.stop()
    return EndToEnd(workers, throughput, percentiles(full.latencies), rate, percentiles(half_load.latencies), rss,
                    cpu, warm_rss, work)


def cpu_seconds(cluster: Cluster) -> dict[str, float]:
    """CPU seconds so far of the workers (together, then each: how evenly the load is spread), the broker and this
    process (the load driver)."""
    each = [s.get("cpu_s", 0.0) for s in cluster.status()]
    return {"workers": sum(each), **{f"worker_{n}": cpu for n, cpu in enumerate(each, start=1)},
            "broker": proc_status(cluster.broker.pid or 0).get("cpu_s", 0.0),
            "driver": proc_status(os.getpid()).get("cpu_s", 0.0)}
