"""The dashboard against a real Prometheus (Debian's package) scraping a real worker that processes real
articles: every PromQL expression of every panel returns at least one series, and the alert rules load."""

from __future__ import annotations

import json
import subprocess
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest

from streams.broker import free_port
from tests.integration.conftest import ROOT, SAMPLES, Worker, consume, produce
from tests.system_tools import system_tool

pytestmark = pytest.mark.integration
DASHBOARD = ROOT / "deploy" / "grafana" / "dashboards" / "claimstream.json"
ALERTS = ROOT / "deploy" / "prometheus" / "alerts.yml"


def dashboard_queries() -> list[tuple[str, str]]:
    """(panel title, expr) for every target of every panel."""
    dashboard = json.loads(DASHBOARD.read_text())
    return [(panel["title"], target["expr"]) for panel in dashboard["panels"] for target in panel["targets"]]


class Prometheus:
    def __init__(self, workdir: Path, targets: list[str]):
        binary = system_tool("prometheus")
        self.port = free_port()
        config = workdir / "prometheus.yml"
        config.write_text(json.dumps({  # JSON is YAML
            "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
            "rule_files": [str(ALERTS)],
            "scrape_configs": [{"job_name": "claimstream", "static_configs": [{"targets": targets}]}],
        }))
        self.log = workdir / "prometheus.log"
        self.proc = subprocess.Popen(
            [binary, f"--config.file={config}", f"--storage.tsdb.path={workdir / 'tsdb'}",
             f"--web.listen-address=127.0.0.1:{self.port}"],
            stdout=self.log.open("wb"), stderr=subprocess.STDOUT)

    def get(self, path: str, **params: str) -> Any:
        url = f"http://127.0.0.1:{self.port}{path}"
        if params:
            url += "?" + urllib.parse.urlencode(params)
        with urllib.request.urlopen(url, timeout=10) as response:
            return orjson.loads(response.read())

    def wait_ready(self, timeout_s: float = 60) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, self.log.read_text()
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/-/ready", timeout=2):
                    return
            except OSError:
                time.sleep(0.3)
        raise AssertionError(f"prometheus not ready:\n{self.log.read_text()[-3000:]}")

    def query(self, expr: str) -> list[dict[str, Any]]:
        answer = self.get("/api/v1/query", query=expr)
        assert answer["status"] == "success", answer
        result: list[dict[str, Any]] = answer["data"]["result"]
        return result

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


@pytest.fixture
def prometheus(worker: Worker, tmp_path: Path) -> Iterator[Prometheus]:
    server = Prometheus(tmp_path, [f"127.0.0.1:{worker.web_port}"])
    try:
        server.wait_ready()
        yield server
    finally:
        server.stop()


def sample_articles() -> list[bytes]:
    """The bundled samples (published now), one syndicated copy, and one message that is not JSON."""
    out = []
    for path in sorted(p for p in SAMPLES.iterdir() if p.suffix == ".txt"):
        title, _, body = path.read_text(encoding="utf-8").partition("\n")
        out.append(orjson.dumps({"id": path.stem, "outlet": f"{path.stem}.example", "title": title, "text": body,
                                 "published_at": datetime.now(UTC).isoformat()}))
    copy = orjson.loads(out[0])
    copy.update(id="syndicated-copy", outlet="aggregator.example")
    return [*out, orjson.dumps(copy), b"{not json"]


def test_every_dashboard_query_returns_series_and_the_alert_rules_load(worker: Worker, prometheus: Prometheus
                                                                       ) -> None:
    articles = sample_articles()
    produce(worker.broker, worker.topic("articles.raw"), articles)
    consume(worker.broker, worker.topic("claims"), timeout_s=120,
            until=lambda rs: {r["article_id"] for r in rs} >= {"syndicated-copy"} | {
                orjson.loads(a)["id"] for a in articles[:-2]})

    queries = dashboard_queries()
    assert len(queries) >= 15
    deadline = time.monotonic() + 120
    empty = queries
    while empty and time.monotonic() < deadline:
        time.sleep(3)
        empty = [(title, expr) for title, expr in queries if not prometheus.query(expr)]
    assert empty == [], "panels without a series:\n" + "\n".join(f"  {t}: {e}" for t, e in empty)

    # Values, not just series: the samples' claims were counted and the bad message was a dead letter.
    claims = prometheus.query("sum(claimstream_claims_total)")
    assert float(claims[0]["value"][1]) > 0
    letters = prometheus.query('sum(claimstream_dead_letters_total{reason="invalid_json"})')
    assert float(letters[0]["value"][1]) == 1
    assert float(prometheus.query("sum(claimstream_duplicates_total)")[0]["value"][1]) >= 1

    groups = prometheus.get("/api/v1/rules")["data"]["groups"]
    rules = [rule for group in groups for rule in group["rules"]]
    assert len(rules) == 5 and {rule["health"] for rule in rules} <= {"ok", "unknown"}
    assert {rule["name"] for rule in rules} >= {"ClaimstreamWorkerDown", "ClaimstreamNoThroughput",
                                                "ClaimstreamLagGrowing", "ClaimstreamDeadLetterRate"}
