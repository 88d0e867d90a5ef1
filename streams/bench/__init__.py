"""`claimstream bench`: how close the pipeline comes to the NLP ceiling, measured in one run (see measure.py)."""

from __future__ import annotations

import os
import platform
import tempfile
from pathlib import Path
from statistics import mean, median
from typing import Any

from streams.bench.corpus import stories
from streams.bench.measure import Progress, ceiling, cleaned_bodies, end_to_end, in_process

# issue 8's targets on a 2-core machine: (name, the result key it reads, comparison, threshold)
TARGETS = [
    ("in-process ≥ 0.6 × ceiling", "ratios.inprocess_vs_ceiling", ">=", 0.6),
    ("end to end, 1 worker ≥ 0.5 × ceiling", "ratios.e2e_1worker_vs_ceiling", ">=", 0.5),
    ("p95 produce→claim at half load < 0.5 s", "latency.p95_half_load_s", "<", 0.5),
    ("2 workers ≥ 1.6 × 1 worker", "ratios.scale_2_vs_1", ">=", 1.6),
    ("worker peak RSS ≤ 300 MB", "rss_mb_max", "<=", 300.0),
]


def lookup(result: dict[str, Any], dotted: str) -> Any:
    value: Any = result
    for part in dotted.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def verdicts(result: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for name, key, op, threshold in TARGETS:
        value = lookup(result, key)
        met = None if value is None else (value >= threshold if op == ">=" else value < threshold if op == "<"
                                          else value <= threshold)
        out.append({"target": name, "key": key, "value": value, "threshold": threshold, "met": met})
    return out


def median_run(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Of repeated end-to-end runs with one worker count, the one of median throughput (the slower of the middle
    two for an even count): every figure reported for that count then comes from one run."""
    ranked = sorted(runs, key=lambda e2e: e2e["throughput"]["articles_per_s"])
    return ranked[(len(ranked) - 1) // 2]


def scale_ratios(ones: list[dict[str, Any]], twos: list[dict[str, Any]]) -> list[float]:
    """2-worker over 1-worker throughput for each repetition: the two runs of a pair follow each other, so a host
    whose speed drifts over minutes skews each ratio less than it skews the runs compared across repetitions."""
    return [round(two["throughput"]["articles_per_s"] / one["throughput"]["articles_per_s"], 3)
            for one, two in zip(ones, twos, strict=True)]


def run(articles: int, workers: list[int], seed: int, workdir: Path | None, progress: Progress,
        repeat: int = 1) -> dict[str, Any]:
    progress(f"generating {articles} stories (+ half-load and warm-up sets)")
    main = stories(articles, seed=seed, id_prefix="bench")
    half = stories(max(20, articles // 2), seed=seed + 1, id_prefix="half")
    warm = stories(40, seed=seed + 2, id_prefix="warm")
    bodies = cleaned_bodies(main)
    progress("(a) ceiling: spaCy tokenizer + sentencizer")
    top, tokens = ceiling(bodies)
    progress("(b) in-process: the pure stage functions")
    inproc = in_process(main, top.sentences, warm)
    result: dict[str, Any] = {
        "articles": articles, "seed": seed,
        "corpus": {"words_mean": round(mean(s.words for s in main), 1), "tokens": tokens,
                   "sentences": top.sentences,
                   "html_share": round(sum("html" in s.article for s in main) / articles, 2),
                   "claims": len(inproc.claims), "actor_events": inproc.actor_events},
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "ceiling": {**top.asdict(), "tokens_per_s": round(tokens / top.seconds, 1)},
        "inprocess": inproc.throughput.asdict(),
    }
    runs: dict[str, list[dict[str, Any]]] = {str(n): [] for n in workers}
    with tempfile.TemporaryDirectory(prefix="claimstream-bench-") as tmp:
        base = workdir or Path(tmp)
        for r in range(1, repeat + 1):  # the worker counts alternate: 1, 2, 1, 2, ...
            def step(message: str, r: int = r) -> None:
                progress(message if repeat == 1 else f"run {r} of {repeat}: {message}")

            for n in workers:
                folder = base / (f"{n}-workers" if repeat == 1 else f"{n}-workers-{r}")
                runs[str(n)].append(end_to_end(n, main, half, warm, top.sentences, folder, step).asdict())
    result["e2e"] = {n: median_run(each) for n, each in runs.items()}
    result["e2e_runs_articles_per_s"] = {n: [e["throughput"]["articles_per_s"] for e in each]
                                         for n, each in runs.items()}
    one, two = result["e2e"].get("1"), result["e2e"].get("2")
    pairs = scale_ratios(runs["1"], runs["2"]) if one and two else []
    ceiling_rate = top.articles_per_s
    result["ratios"] = {
        "inprocess_vs_ceiling": round(inproc.throughput.articles_per_s / ceiling_rate, 3),
        "e2e_1worker_vs_ceiling": round(one["throughput"]["articles_per_s"] / ceiling_rate, 3) if one else None,
        "e2e_2workers_vs_ceiling": round(two["throughput"]["articles_per_s"] / ceiling_rate, 3) if two else None,
        "scale_2_vs_1": round(median(pairs), 3) if pairs else None,  # one pair: its own ratio
        "scale_2_vs_1_runs": pairs,
    }
    first = one or next(iter(result["e2e"].values()), None)
    result["latency"] = {
        "p50_half_load_s": first["latency_half_load_s"].get("p50") if first else None,
        "p95_half_load_s": first["latency_half_load_s"].get("p95") if first else None,
        "p99_half_load_s": first["latency_half_load_s"].get("p99") if first else None,
        "p95_full_load_s": first["latency_full_load_s"].get("p95") if first else None,
    }
    # the highest of every run, not only of the median ones: the target is a ceiling on memory
    result["e2e_runs_rss_mb_max"] = {n: [max(e["worker_rss_mb_peak"]) for e in each] for n, each in runs.items()}
    result["rss_mb_max"] = max((r for each in result["e2e_runs_rss_mb_max"].values() for r in each), default=None)
    result["targets"] = verdicts(result)
    return result
