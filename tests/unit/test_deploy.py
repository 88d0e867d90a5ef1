"""The deployment files: docker-compose.yml validated by Debian's docker-compose, the alert rules by promtool
(syntax and unit tests), the Grafana provisioning and dashboard by their format, and the Dockerfile's build
context by building the wheel it installs."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.system_tools import system_tool

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
DASHBOARD = DEPLOY / "grafana" / "dashboards" / "claimstream.json"



def run(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    """docker-compose.yml as docker-compose resolves it (anchors merged, paths absolute)."""
    done = run(system_tool("docker-compose"), "config")
    assert done.returncode == 0, done.stderr
    config: dict[str, Any] = yaml.safe_load(done.stdout)
    return config


def test_compose_runs_kafka_in_kraft_mode_with_a_volume_and_a_healthcheck(compose: dict[str, Any]) -> None:
    kafka = compose["services"]["kafka"]
    assert kafka["image"].startswith("apache/kafka:")
    assert kafka["environment"]["KAFKA_PROCESS_ROLES"] == "broker,controller"
    assert any(v.endswith(":/var/lib/kafka/data:rw") or v.startswith("kafka-data:") for v in kafka["volumes"])
    assert "kafka-data" in compose["volumes"]
    assert kafka["healthcheck"]["test"]


def test_compose_workers_scale_and_start_after_the_topics(compose: dict[str, Any]) -> None:
    worker = compose["services"]["worker"]
    assert "container_name" not in worker and "ports" not in worker  # --scale worker=N needs neither
    assert worker["build"]["dockerfile"] == "deploy/Dockerfile"
    assert worker["depends_on"]["topics"]["condition"] == "service_completed_successfully"
    assert worker["environment"]["CLAIMSTREAM_BROKER"] == "kafka://kafka:9092"
    topics = compose["services"]["topics"]
    assert topics["command"] == ["topics"] and topics["depends_on"]["kafka"]["condition"] == "service_healthy"
    assert topics["environment"]["CLAIMSTREAM_PARTITIONS"] == worker["environment"]["CLAIMSTREAM_PARTITIONS"]


def test_compose_prometheus_scrapes_every_worker_with_the_alert_rules(compose: dict[str, Any]) -> None:
    prometheus = compose["services"]["prometheus"]
    assert any(v.startswith(f"{DEPLOY / 'prometheus'}:/etc/prometheus") for v in prometheus["volumes"])
    config = yaml.safe_load((DEPLOY / "prometheus" / "prometheus.yml").read_text())
    assert config["rule_files"] == ["alerts.yml"]
    job = next(j for j in config["scrape_configs"] if j["job_name"] == "claimstream")
    assert job["dns_sd_configs"][0]["names"] == ["worker"]  # one address per replica
    assert job["dns_sd_configs"][0]["port"] == int(compose["services"]["worker"]["expose"][0])


def test_compose_grafana_opens_on_the_provisioned_dashboard(compose: dict[str, Any]) -> None:
    grafana = compose["services"]["grafana"]
    mounts = dict(v.rsplit(":", 1)[0].split(":", 1) for v in grafana["volumes"] if v.startswith("/"))
    assert mounts[str(DEPLOY / "grafana" / "provisioning")] == "/etc/grafana/provisioning"
    dashboards_dir = mounts[str(DEPLOY / "grafana" / "dashboards")]
    home = grafana["environment"]["GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH"]
    assert home == f"{dashboards_dir}/{DASHBOARD.name}"
    provider = yaml.safe_load((DEPLOY / "grafana" / "provisioning" / "dashboards" / "claimstream.yml").read_text())
    assert provider["providers"][0]["options"]["path"] == dashboards_dir


def test_promtool_accepts_the_rules_and_the_config() -> None:
    promtool = system_tool("promtool")
    for args in (("check", "rules", "alerts.yml"), ("check", "config", "prometheus.yml")):
        done = run(promtool, *args, cwd=DEPLOY / "prometheus")
        assert done.returncode == 0, done.stdout + done.stderr


def test_every_alert_fires_on_its_situation_and_not_on_a_healthy_worker() -> None:
    done = run(system_tool("promtool"), "test", "rules", "alerts_test.yml", cwd=DEPLOY / "prometheus")
    assert done.returncode == 0, done.stdout + done.stderr
    tested = set(re.findall(r"alertname: (\w+)", (DEPLOY / "prometheus" / "alerts_test.yml").read_text()))
    defined = set(re.findall(r"- alert: (\w+)", (DEPLOY / "prometheus" / "alerts.yml").read_text()))
    assert tested == defined


def test_dashboard_is_valid_for_grafana_provisioning() -> None:
    dashboard = json.loads(DASHBOARD.read_text())
    datasource = yaml.safe_load((DEPLOY / "grafana" / "provisioning" / "datasources" / "prometheus.yml").read_text())
    uid = datasource["datasources"][0]["uid"]
    assert datasource["datasources"][0]["type"] == "prometheus"
    assert isinstance(dashboard["schemaVersion"], int) and dashboard["schemaVersion"] >= 36
    assert dashboard["uid"] and dashboard["title"] and "id" not in dashboard  # provisioning assigns the id
    panels = dashboard["panels"]
    assert len({p["id"] for p in panels}) == len(panels)
    for panel in panels:
        assert panel["datasource"] == {"type": "prometheus", "uid": uid}, panel["title"]
        assert panel["targets"], panel["title"]
        for target in panel["targets"]:
            assert target["datasource"]["uid"] == uid and target["expr"].strip(), panel["title"]
        grid = panel["gridPos"]
        assert grid["x"] + grid["w"] <= 24 and grid["h"] > 0


def test_dashboard_covers_what_operators_watch() -> None:
    exprs = " ".join(t["expr"] for p in json.loads(DASHBOARD.read_text())["panels"] for t in p["targets"])
    for metric in ("claimstream_messages_in_total", "claimstream_messages_out_total",
                   "claimstream_claim_latency_seconds_bucket", "claimstream_consumer_lag_messages",
                   "claimstream_dead_letters_total", "claimstream_claims_total", "claimstream_duplicates_total",
                   'up{job="claimstream"}', "faust_"):
        assert metric in exprs
    assert all(f"histogram_quantile({q}" in exprs for q in ("0.5", "0.95", "0.99"))


def test_dockerfile_builds_the_package_the_readme_installs(tmp_path: Path) -> None:
    """The build context the Dockerfile copies is enough to build the project's wheel, with its data files,
    and the image installs that package and runs the worker."""
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    # the project itself, from pyproject.toml, pinned to the lock
    assert re.search(r"^RUN pip install --constraint requirements\.lock \. ", dockerfile, re.M)
    assert 'ENTRYPOINT ["claimstream"]' in dockerfile and 'CMD ["worker"]' in dockerfile
    context = tmp_path / "context"
    context.mkdir()
    for line in re.findall(r"^COPY (.+)$", dockerfile, re.M):
        *sources, _ = line.split()
        for source in sources:
            src = ROOT / source
            if src.is_dir():
                shutil.copytree(src, context / source, symlinks=True,
                                ignore=shutil.ignore_patterns("__pycache__"))
            else:
                shutil.copy(src, context / source)
    done = run(sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path / "dist"), str(context))
    assert done.returncode == 0, done.stdout + done.stderr
    wheel = next((tmp_path / "dist").glob("claimstream-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    for needed in ("streams/cli.py", "streams/agents.py", "streams/lang/it.json", "streams/lang/en.json",
                   "streams/actors/registry.json", "streams/schemas/claim.schema.json",
                   "streams/schemas/actor-claims.schema.json"):
        assert needed in names
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    assert "claimstream = streams.cli:main" in zipfile.ZipFile(wheel).read(entry_points).decode()


def test_the_lock_pins_every_dependency_the_project_declares() -> None:
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    declared = project["dependencies"] + project["optional-dependencies"]["dev"]
    names = {re.split(r"[<>=!~\[ ;]", d, maxsplit=1)[0].lower().replace("_", "-") for d in declared}
    lines = [x for x in (ROOT / "requirements.lock").read_text().splitlines() if x and not x.startswith("#")]
    pinned = {x.split("==")[0].lower().replace("_", "-") for x in lines}
    assert all("==" in x for x in lines)
    assert names <= pinned, f"not in requirements.lock (run `make lock`): {sorted(names - pinned)}"
