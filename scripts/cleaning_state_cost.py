"""What the cleaning state costs the worker that holds `articles.prepared`, at a live feed's size (one run).

Usage: .venv/bin/python scripts/cleaning_state_cost.py [ARTICLES]

Makes ARTICLES synthetic `clean-seen` entries of the shape `finish` writes (a MinHash signature, 14 short-line
hashes of which 2 are the outlet's furniture, 200 outlets, seen over the last 7 days), then rebuilds the caches
from them as a worker does after a restart or a rebalance (`agents.rebuild_cleaning_caches`), while a task measures
how long the event loop went without a turn. Reports the resident memory of the entries and of the caches, and the
longest hold of the loop. The figures of docs/PERFORMANCE.md ("The cleaning state at scale") come from this.
"""

from __future__ import annotations

import asyncio
import gc
import random
import sys
import time
from typing import Any

from streams import agents
from streams.stages import dedupe
from streams.stages.clean import CleanConfig


def rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * 4096 / 1e6


def entries(count: int, now: float) -> list[tuple[str, dict[str, Any]]]:
    rng = random.Random(1)
    made = []
    for n in range(count):
        own = [f"{rng.getrandbits(64):016x}" for _ in range(12)]
        furniture = [f"{n % 200:016x}", f"{1000 + n % 200:016x}"]
        made.append((f"bench-{n}", {
            "duplicate_of": None, "seen_at": now - rng.random() * 7 * 86400, "removed": [],
            "signature": dedupe.pack([rng.getrandbits(26) for _ in range(dedupe.NUM_PERM)]),
            "outlet": f"outlet{n % 200}.example", "lines": own + furniture}))
    return made


async def rebuild_watched(seen: list[tuple[str, dict[str, Any]]]) -> tuple[Any, Any, float, float]:
    """The caches, the seconds the rebuild took, and the longest the event loop went without a turn."""
    longest, building = 0.0, True

    async def watch() -> None:
        nonlocal longest
        last = time.perf_counter()
        while building:
            await asyncio.sleep(0)
            now = time.perf_counter()
            longest, last = max(longest, now - last), now

    watcher = asyncio.create_task(watch())
    await asyncio.sleep(0)
    started = time.perf_counter()
    index, lines = await agents.rebuild_cleaning_caches(seen, CleanConfig())
    took = time.perf_counter() - started
    building = False
    await watcher
    return index, lines, took, longest


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    gc.collect()
    before = rss_mb()
    seen = entries(count, time.time())
    gc.collect()
    with_entries = rss_mb()
    index, lines, took, longest = asyncio.run(rebuild_watched(seen))
    gc.collect()
    after = rss_mb()
    print(f"{count:,} entries: {with_entries - before:,.0f} MB; LSH index ({len(index.keys):,} articles) and "
          f"{len(lines):,} line sightings: {after - with_entries:,.0f} MB; total {after - before:,.0f} MB")
    print(f"rebuild: {took:.1f} s, {1000 * took / count:.3f} ms an entry; longest hold of the event loop "
          f"{longest:.2f} s (steps of {agents.REBUILD_STEP})")


if __name__ == "__main__":
    main()
