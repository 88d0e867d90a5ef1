"""claimstream run | worker | broker | topics | produce | tail | replay-deadletter | extract | eval."""

from __future__ import annotations

import gc
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from importlib import resources
from pathlib import Path
from typing import Annotated, Any

import orjson
import typer
from rich.console import Console

from streams import topics as t
from streams.settings import Settings, SettingsError, clean_config, from_env

cli = typer.Typer(add_completion=False, no_args_is_help=True, help=__doc__, pretty_exceptions_show_locals=False)
err = Console(stderr=True)


def _settings() -> Settings:
    try:
        return from_env()
    except SettingsError as exc:
        err.print(f"[red]configuration error:[/] {exc}")
        raise typer.Exit(2) from exc


def ensure_topics(settings: Settings) -> None:
    from streams.broker import create_topics

    created = create_topics(settings.bootstrap_servers, t.all_topics(settings), t.topic_configs(settings),
                            **settings.kafka_client_config())
    if created:
        err.print(f"created {len(created)} topics ({settings.partitions} partitions, the cleaning index 1)")


@cli.command()
def worker(supervise: Annotated[bool, typer.Option(
        help="restart the worker when the broker comes back empty or the worker exits (streams/supervisor.py); "
             "--no-supervise runs the Faust worker in this process")] = True) -> None:
    """Run the Faust worker (all agents) against CLAIMSTREAM_BROKER, or the embedded broker's address."""
    settings = _settings()
    if supervise:
        from streams.supervisor import Supervisor, worker_command

        stop = _stop_on_signals()
        supervisor = Supervisor(settings, worker_command(), prepare=lambda: ensure_topics(settings), say=err.print)
        raise typer.Exit(supervisor.run(stop))
    ensure_topics(settings)
    from streams.agents import app  # importing registers the agents
    from streams.draining import DrainingWorker

    fewer_garbage_collections()
    DrainingWorker(app, loglevel=settings.log_level, quiet=True).execute_from_commandline()


# A young-generation collection every 50,000 net allocations (Python's default: 700). The worker allocates fast
# (records, events, futures): with the default, collections took ~2 s of a 600-story bench run, ~8 % of the
# worker's CPU; with these ~0.1 s, same peak RSS (the soak test bounds its growth).
GC_THRESHOLDS = (50_000, 20, 10)


def fewer_garbage_collections() -> None:
    """Collect less often, and never walk the objects loaded at start (modules, Faust, the app) again."""
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)


@cli.command()
def topics() -> None:
    """Create every topic that does not exist yet on CLAIMSTREAM_BROKER (partitions, compacted changelogs)."""
    settings = _settings()
    where = ",".join(settings.bootstrap_servers)
    try:
        ensure_topics(settings)
    except Exception as exc:  # noqa: BLE001 - any admin failure ends the command with its message
        err.print(f"[red]could not create topics on {where}: {type(exc).__name__}: {exc}[/]")
        raise typer.Exit(1) from exc
    err.print(f"{len(t.all_topics(settings))} topics present on {where}")


@cli.command()
def broker(port: Annotated[int | None, typer.Option(help="listen port (default CLAIMSTREAM_EMBEDDED_PORT)")] = None,
           ) -> None:
    """Run the embedded broker alone, in the foreground, until Ctrl-C."""
    from streams.broker import BrokerError, EmbeddedBroker

    settings = _settings()
    settings = settings.with_overrides(embedded_port=port or settings.embedded_port, broker="")
    stop = _stop_on_signals()  # before the broker starts: a Ctrl-C while it starts still stops it cleanly
    try:
        embedded = EmbeddedBroker(settings.embedded_host, settings.embedded_port).start()
    except BrokerError as exc:
        err.print(f"[red]{exc}[/]")
        raise typer.Exit(1) from exc
    try:
        ensure_topics(settings)
        err.print(f"embedded broker ready on {embedded.bootstrap} (memory only: Ctrl-C loses every topic)")
        while not stop.is_set() and embedded.running:
            stop.wait(0.5)
    finally:
        embedded.stop()


@cli.command()
def run(demo: Annotated[bool, typer.Option(help="produce the bundled sample articles and print their claims")] = False,
        ) -> None:
    """Start the embedded broker (unless CLAIMSTREAM_BROKER is set) and a worker; Ctrl-C stops both."""
    from streams.broker import BrokerError, EmbeddedBroker

    settings = _settings()
    stop = _stop_on_signals()
    env = dict(os.environ)
    embedded = None
    if settings.embedded:
        try:
            embedded = EmbeddedBroker(settings.embedded_host, settings.embedded_port).start()
        except BrokerError as exc:
            err.print(f"[red]{exc}[/]")
            raise typer.Exit(1) from exc
        env["CLAIMSTREAM_BROKER"] = embedded.url
        err.print(f"embedded broker on {embedded.bootstrap}")
    proc: subprocess.Popen[bytes] | None = None
    try:
        ensure_topics(settings)
        proc = _start_worker(env)
        err.print(f"worker started (pid {proc.pid}); metrics on http://{settings.web_host}:{settings.web_port}/metrics")
        if demo:
            _demo(settings, proc, stop)
        while proc.poll() is None and not stop.is_set():
            stop.wait(0.5)
        if not stop.is_set() and proc.returncode != 0:
            err.print(f"[red]the worker exited with code {proc.returncode}[/]")
            raise typer.Exit(proc.returncode)
        err.print("stopping…")
    finally:
        _stop_worker(proc)
        if embedded is not None:
            embedded.stop()


def _stop_on_signals() -> threading.Event:
    """Ctrl-C and SIGTERM set an event the main loop checks (client libraries may swallow KeyboardInterrupt)."""
    stop = threading.Event()

    def handle(signum: int, frame: object) -> None:
        stop.set()

    signal.signal(signal.SIGINT, handle)
    signal.signal(signal.SIGTERM, handle)
    return stop


def _start_worker(env: dict[str, str]) -> subprocess.Popen[bytes]:
    from streams.broker import _die_with_parent

    return subprocess.Popen([sys.executable, "-m", "streams", "worker"], env=env, preexec_fn=_die_with_parent)


def _stop_worker(proc: subprocess.Popen[bytes] | None, timeout_s: float = 20) -> None:
    if proc is None or proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)  # Faust stops gracefully: commits offsets, flushes the producer
    try:
        proc.wait(timeout_s)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def sample_paths() -> list[str]:
    folder = resources.files("streams").joinpath("samples")
    return sorted(str(p) for p in Path(str(folder)).iterdir() if p.is_file())


def _demo(settings: Settings, proc: subprocess.Popen[bytes], stop: threading.Event) -> None:
    from streams.kafka_io import consumer_for, produce_articles

    failures = produce_articles(settings, sample_paths(), settings.topic(t.RAW), progress=False)
    for origin, reason in failures:
        err.print(f"[red]failed[/] {origin}: {reason}")
    err.print(f"produced {len(sample_paths()) - len(failures)} sample articles; claims as they arrive:")
    consumer = consumer_for(settings, settings.topic(t.CLAIMS), from_beginning=True, timeout_s=None)
    try:
        while proc.poll() is None and not stop.is_set():
            for records in consumer.poll(timeout_ms=500).values():
                for message in records:
                    _print_claim(orjson.loads(message.value))
    finally:
        consumer.close()


def _print_claim(claim: dict[str, Any]) -> None:
    q = claim.get("quantity")
    qty = f" {q['qualifier']} {q['value']:g} {q['unit']}" if q else ""
    actors = ", ".join(f"{a['id']}({a['role']})" for a in claim["actors"])
    source = f" ← {claim['source']['name']}" if claim.get("source") else ""
    print(orjson.dumps(claim).decode(), flush=True)
    err.print(f"[bold]{claim['type']}[/]{qty} [{claim['certainty']}] {actors}{source} — {claim['text'][:90]}")


@cli.command()
def produce(paths: Annotated[list[str], typer.Argument(help="files, directories, or - for stdin")],
            topic: Annotated[str, typer.Option(help="topic name, without the prefix")] = t.RAW) -> None:
    """Send articles (.txt, .html, .json, .jsonl, directories, -) to articles.raw."""
    from streams.kafka_io import KafkaUnavailable, produce_articles

    settings = _settings()
    try:
        failures = produce_articles(settings, paths, settings.topic(topic), progress=sys.stderr.isatty())
    except KafkaUnavailable as exc:
        err.print(f"[red]{exc}[/]")
        raise typer.Exit(2) from exc
    for origin, reason in failures:
        err.print(f"[red]failed[/] {origin}: {reason}")
    if failures:
        raise typer.Exit(1)


@cli.command()
def tail(topic: Annotated[str, typer.Argument(help="topic name without prefix, e.g. claims")],
         from_beginning: Annotated[bool, typer.Option("--from-beginning")] = False,
         actor: Annotated[str | None, typer.Option(help="only records about this actor id (e.g. PRK)")] = None,
         type_: Annotated[str | None, typer.Option("--type", help="only claims of this type")] = None,
         limit: Annotated[int | None, typer.Option(help="stop after N records")] = None,
         timeout: Annotated[float | None, typer.Option(help="stop after S seconds with no record")] = None) -> None:
    """Print a topic's records as JSON lines (dead letters with their x-dlq-* headers)."""
    from streams.kafka_io import KafkaUnavailable, consumer_for, view

    settings = _settings()
    stop = _stop_on_signals()
    try:
        consumer = consumer_for(settings, settings.topic(topic), from_beginning=from_beginning, timeout_s=None)
    except KafkaUnavailable as exc:
        err.print(f"[red]{exc}[/]")
        raise typer.Exit(2) from exc
    printed = 0
    idle_since = time.monotonic()
    try:
        while not stop.is_set() and (limit is None or printed < limit):
            batch = [m for records in consumer.poll(timeout_ms=500).values() for m in records]
            if batch:
                idle_since = time.monotonic()
            elif timeout is not None and time.monotonic() - idle_since >= timeout:
                break
            for message in batch:
                record = view(topic, message)
                if _matches(record, actor, type_):
                    sys.stdout.write(orjson.dumps(record).decode() + "\n")
                    printed += 1
                    if limit is not None and printed >= limit:
                        break
            sys.stdout.flush()
    finally:
        consumer.close()


def _matches(record: Any, actor: str | None, type_: str | None) -> bool:
    if not isinstance(record, dict):
        return actor is None and type_ is None
    if type_ is not None and record.get("type") != type_:
        return False
    if actor is None:
        return True
    ids = {a.get("id") for a in record.get("actors", []) if isinstance(a, dict)}
    ids.add(record.get("actor_id"))
    source = record.get("source")
    if isinstance(source, dict):
        ids |= {source.get("id"), source.get("country")}
    return actor in ids


@cli.command("replay-deadletter")
def replay_deadletter(
        reason: Annotated[list[str] | None, typer.Option(help="only letters with this reason (repeatable)")] = None,
        stage: Annotated[str | None, typer.Option(help="only letters from this stage (clean, extract, ...)")] = None,
        limit: Annotated[int | None, typer.Option(help="replay at most N")] = None,
        dry_run: Annotated[bool, typer.Option("--dry-run", help="count what would be replayed, send nothing")] = False,
) -> None:
    """Send dead letters back to the topic they came from (after fixing what rejected them: a language file,
    a size cap, a bug). Letters cut to 512 KiB stay: replay their originals from the origin offset."""
    from streams.kafka_io import KafkaUnavailable, replay_deadletters

    settings = _settings()
    try:
        outcome = replay_deadletters(settings, set(reason or []), stage, limit, dry_run, progress=sys.stderr.isatty())
    except KafkaUnavailable as exc:
        err.print(f"[red]{exc}[/]")
        raise typer.Exit(2) from exc
    def counts(counter: Counter[str]) -> str:
        return f"{sum(counter.values())} (" + ", ".join(f"{why}: {n}" for why, n in sorted(counter.items())) + ")"

    err.print(f"{'would replay' if dry_run else 'replayed'} {counts(outcome.replayed)}")
    if outcome.kept:
        err.print(f"kept {counts(outcome.kept)}")


@cli.command()
def extract(paths: Annotated[list[str], typer.Argument(help="files, directories, or - for stdin")]) -> None:
    """Run the stage functions offline and print claim events as JSON lines (article_id = file name)."""
    from streams.offline import process
    from streams.sources import expand, read

    settings = _settings()
    failed = 0
    loaded = []
    for path in expand(paths):
        for item in read(path):
            if item.error is not None or item.article is None:
                err.print(f"[red]failed[/] {item.origin}: {item.error}")
                failed += 1
            else:
                loaded.append((item.origin, item.article))
    for outcome in process(loaded, settings.max_article_bytes, clean_config(settings)):
        if outcome.rejected is not None:
            err.print(f"[yellow]rejected[/] {outcome.origin}: {outcome.rejected}")
            failed += 1
        for claim in outcome.claims:
            sys.stdout.write(orjson.dumps(claim.to_representation()).decode() + "\n")
    sys.stdout.flush()
    if failed:
        raise typer.Exit(1)


@cli.command("eval")
def eval_(path: Annotated[Path, typer.Argument(help="gold folder: *.gold.json + articles/")] = Path("tests/data/gold"),
          as_json: Annotated[bool, typer.Option("--json", help="one JSON object for machines")] = False,
          errors: Annotated[bool, typer.Option("--errors", help="list every mistake")] = False,
          floors: Annotated[Path | None, typer.Option(help="fail (exit 1) when a figure is under its floor")] = None,
          ) -> None:
    """Recall, precision and per-field accuracy of claim extraction against a gold set."""
    from rich.table import Table

    from streams.evaluation import FIELDS, below_floors, evaluate, load_gold

    gold = load_gold(path)
    if not gold:
        err.print(f"[red]no *.gold.json in {path}[/]")
        raise typer.Exit(2)
    figures, mistakes = evaluate(gold)
    if as_json:
        print(orjson.dumps(figures).decode())
    else:
        table = Table(title=f"claim extraction vs {path} ({len(gold)} articles)")
        columns = ["gold", "predicted", "recall", "precision", *FIELDS]
        table.add_column("lang")
        for name in columns:
            table.add_column(name, justify="right")
        for lang, row in figures.items():
            table.add_row(lang, *(f"{row[c]:.3f}" if isinstance(row[c], float) else str(row[c]) for c in columns))
        Console(width=160).print(table)
    if errors:
        for m in mistakes:  # one plain line each, for grep
            print(f"{m.article} [{m.kind}] expected={m.expected!r} got={m.got!r} :: {m.sentence[:100]}",
                  file=sys.stderr)
    if floors is not None:
        failing = below_floors(figures, orjson.loads(floors.read_bytes()))
        for line in failing:
            err.print(f"[red]below floor[/] {line}")
        if failing:
            raise typer.Exit(1)


def main() -> None:
    cli()


if __name__ == "__main__":
    main()


@cli.command()
def bench(articles: Annotated[int, typer.Option(min=20, help="stories in the main set")] = 1000,
          workers: Annotated[str, typer.Option(help="worker counts to run end to end, comma-separated")] = "1,2",
          seed: Annotated[int, typer.Option(help="seed of the generated stories")] = 1,
          keep: Annotated[Path | None, typer.Option(help="keep broker and worker logs in this folder")] = None,
          as_json: Annotated[bool, typer.Option("--json", help="print one JSON object instead of the table")] = False,
          repeat: Annotated[int, typer.Option(min=1, help="end-to-end runs per worker count, the counts "
                                              "alternating; the median is reported (for a noisy host)")] = 1,
          ) -> None:
    """Throughput against the spaCy ceiling, latency and memory, in one run (see docs/PERFORMANCE.md)."""
    from streams.bench import run

    try:
        counts = sorted({int(w) for w in workers.split(",") if w.strip()})
    except ValueError as exc:
        err.print(f"[red]--workers wants comma-separated numbers, got {workers!r}[/]")
        raise typer.Exit(2) from exc
    if not counts or min(counts) < 1:
        err.print("[red]--workers wants at least one count ≥ 1[/]")
        raise typer.Exit(2)
    with err.status("benchmark") as status:
        def progress(message: str) -> None:
            status.update(message)
            err.log(message)

        result = run(articles, counts, seed, keep, progress, repeat)
    if as_json:
        print(orjson.dumps(result).decode())
    else:
        _print_bench(result)


def _print_bench(result: dict[str, Any]) -> None:
    from rich.table import Table

    def ratio(key: str) -> str:
        value = result["ratios"].get(key)
        return "" if value is None else f"{value:.3f}"

    table = Table(title=f"claimstream bench — {result['articles']} stories, {result['corpus']['words_mean']:.0f} "
                        f"words on average, {result['machine']['cpus']} CPUs")
    for column in ("measurement", "articles/s", "sentences/s", "× ceiling", "latency p50/p95/p99 (full · half)",
                   "peak RSS MB"):
        table.add_column(column, justify="left" if column == "measurement" else "right")
    top = result["ceiling"]
    table.add_row("(a) spaCy tokenizer + sentencizer", f"{top['articles_per_s']:.1f}", f"{top['sentences_per_s']:.0f}",
                  "1.00", "", "")
    inproc = result["inprocess"]
    table.add_row("(b) stage functions in-process", f"{inproc['articles_per_s']:.1f}",
                  f"{inproc['sentences_per_s']:.0f}", ratio("inprocess_vs_ceiling"), "", "")
    for n, e2e in result["e2e"].items():
        full, half = e2e["latency_full_load_s"], e2e["latency_half_load_s"]
        lat = " · ".join("/".join(f"{d.get(p, float('nan')):.2f}" for p in ("p50", "p95", "p99")) for d in (full, half))
        ceiling_ratio = e2e["throughput"]["articles_per_s"] / top["articles_per_s"]
        table.add_row(f"(c) end to end, {n} worker{'s' if n != '1' else ''}",
                      f"{e2e['throughput']['articles_per_s']:.1f}", f"{e2e['throughput']['sentences_per_s']:.0f}",
                      f"{ceiling_ratio:.3f}", lat, " ".join(f"{r:.0f}" for r in e2e["worker_rss_mb_peak"]))
    Console(width=160).print(table)  # wide enough for every figure, also when piped
    if result["ratios"].get("scale_2_vs_1") is not None:
        pairs = result["ratios"]["scale_2_vs_1_runs"]
        each = f" (median of {', '.join(f'{r:.2f}' for r in pairs)})" if len(pairs) > 1 else ""
        Console().print(f"2 workers / 1 worker: {result['ratios']['scale_2_vs_1']:.2f}{each}")
    for target in result["targets"]:
        mark = {True: "[green]met[/]", False: "[red]missed[/]", None: "[yellow]not measured[/]"}[target["met"]]
        Console().print(f"{mark}  {target['target']} (measured: {target['value']})")
