"""Faust's table-operation counters, kept when the worker's monitor looks their labels up once per table."""

from __future__ import annotations

from faust.sensors.prometheus import FaustMetrics
from prometheus_client import CollectorRegistry, generate_latest

from streams.app import TableCountingMonitor, app


class Table:
    def __init__(self, name: str):
        self.name = name


def samples(registry: CollectorRegistry) -> dict[str, float]:
    return {line.rsplit(" ", 1)[0]: float(line.rsplit(" ", 1)[1])
            for line in generate_latest(registry).decode().splitlines() if line.startswith("t_table_operations_total")}


def test_table_reads_and_writes_are_counted_per_table_and_operation() -> None:
    registry = CollectorRegistry()
    monitor = TableCountingMonitor(metrics=FaustMetrics.create(registry, "t"))
    for _ in range(3):
        monitor.on_table_get(Table("panes-1h"), "RUS")
    monitor.on_table_set(Table("panes-1h"), "RUS", {})
    monitor.on_table_set(Table("recent"), "RUS|deployment", [])
    assert samples(registry) == {
        't_table_operations_total{operation="keys_retrieved",table="table.panes-1h"}': 3.0,
        't_table_operations_total{operation="keys_updated",table="table.panes-1h"}': 1.0,
        't_table_operations_total{operation="keys_updated",table="table.recent"}': 1.0,
    }
    assert monitor.tables["panes-1h"].keys_retrieved == 3  # Faust's own bookkeeping (its /stats) too


def test_the_worker_uses_it() -> None:
    assert isinstance(app.monitor, TableCountingMonitor)
