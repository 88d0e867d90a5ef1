"""Exact end offsets, whatever the broker reports.

The embedded broker (Tansu) reports a partition's end as one past the *first* record of its last record batch: with
five records in one batch, end 1 instead of 5. Kafka reports one past the last record. Where an end decides how
far to read — a table's recovery from its changelog, a replay of the dead letters on the topic — the reported end
is checked by reading the batch it points into: the end is one past the last record found there (at least the
reported end: with nothing to read in time, nothing changes). Only where the broker is the embedded one
(`Settings.ends_need_reading`): Kafka's ends are exact.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Mapping
from typing import Any

from streams.settings import Settings

log = logging.getLogger(__name__)

READ_TIMEOUT_S = 5.0


def ends_after(reported: Mapping[Any, int], last_offsets: Mapping[Any, int]) -> dict[Any, int]:
    """The end of each partition: one past the last offset read at or after its reported end's batch, or the
    reported end where nothing was read."""
    return {tp: max(end, last_offsets.get(tp, -1) + 1) for tp, end in reported.items()}


async def exact_ends(settings: Settings, reported: Mapping[Any, int | None],
                     timeout_s: float = READ_TIMEOUT_S) -> dict[Any, int | None]:
    """`reported` (partition -> end offset from the broker) with every end moved past the records of the batch it
    points into. Reads with a consumer of its own (no group): a worker's consumer keeps its positions."""
    from aiokafka import AIOKafkaConsumer, TopicPartition

    to_check = {TopicPartition(tp.topic, tp.partition): tp for tp, end in reported.items() if end}
    if not to_check or not settings.ends_need_reading:
        return dict(reported)
    consumer = AIOKafkaConsumer(bootstrap_servers=settings.bootstrap_servers, group_id=None,
                                enable_auto_commit=False, fetch_max_wait_ms=settings.fetch_wait_ms,
                                max_partition_fetch_bytes=settings.message_max_bytes,
                                **settings.kafka_client_config())
    last: dict[Any, int] = {}
    await consumer.start()
    try:
        consumer.assign(list(to_check))
        for ours, theirs in to_check.items():
            consumer.seek(ours, int(reported[theirs] or 0) - 1)  # the first record of the batch the end points into
        deadline = time.monotonic() + timeout_s
        while len(last) < len(to_check) and time.monotonic() < deadline:
            batches = await consumer.getmany(timeout_ms=100)
            for ours, records in batches.items():
                if records:
                    last[to_check[ours]] = max(last.get(to_check[ours], -1), records[-1].offset)
    finally:
        await consumer.stop()
    unread = [f"{tp.topic}[{tp.partition}]" for tp in to_check.values() if tp not in last]
    if unread:
        log.warning("end offsets not checked in %.0f s, the broker's kept (may stop short on the embedded broker): "
                    "%s", timeout_s, ", ".join(sorted(unread)))
    checked = ends_after({tp: int(end or 0) for tp, end in reported.items()}, last)
    return {tp: checked[tp] if end else end for tp, end in reported.items()}


def exact_ends_now(settings: Settings, reported: Mapping[Any, int]) -> dict[Any, int]:
    """`exact_ends` from synchronous code (the CLI)."""
    checked = asyncio.run(exact_ends(settings, reported))
    return {tp: int(end or 0) for tp, end in checked.items()}
