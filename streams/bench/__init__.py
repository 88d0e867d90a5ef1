"""`claimstream bench`: how close the pipeline comes to the NLP ceiling, measured in one run (see measure.py)."""

from __future__ import annotations

import os
import platform
import tempfile
from pathlib import Path
from statistics import mean
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


def run(articles: int, workers: list[int], seed: int, workdir: Path | None, progress: Progress) -> dict[str, Any]:
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
        "e2e": {},
    }
    with tempfile.TemporaryDirectory(prefix="claimstream-bench-") as tmp:
        base = workdir or Path(tmp)
        for n in workers:
            e2e = end_to_end(n, main, half, warm, top.sentences, base / f"{n}-workers", progress)
            result["e2e"][str(n)] = e2e.asdict()
    one, two = result["e2e"].get("1"), result["e2e"].get("2")
    ceiling_rate = top.articles_per_s
    result["ratios"] = {
        "inprocess_vs_ceiling": round(inproc.throughput.articles_per_s / ceiling_rate, 3),
        "e2e_1worker_vs_ceiling": round(one["throughput"]["articles_per_s"] / ceiling_rate, 3) if one else None,
        "e2e_2workers_vs_ceiling": round(two["throughput"]["articles_per_s"] / ceiling_rate, 3) if two else None,
        "scale_2_vs_1": (round(two["throughput"]["articles_per_s"] / one["throughput"]["articles_per_s"], 3)
                         if one and two else None),
    }
    first = one or next(iter(result["e2e"].values()), None)
    result["latency"] = {
        "p50_half_load_s": first["latency_half_load_s"].get("p50") if first else None,
        "p95_half_load_s": first["latency_half_load_s"].get("p95") if first else None,
        "p99_half_load_s": first["latency_half_load_s"].get("p99") if first else None,
        "p95_full_load_s": first["latency_full_load_s"].get("p95") if first else None,
    }
    result["rss_mb_max"] = max((r for e in result["e2e"].values() for r in e["worker_rss_mb_peak"]), default=None)
    result["targets"] = verdicts(result)
    return result
