"""Kafka over TLS: Debian's stunnel4 terminates TLS in front of the embedded broker (this Tansu build has no working
TLS of its own), and the broker advertises the proxy. The worker (Faust), topic creation (kafka-python admin) and
the CLI's produce and tail (kafka-python) all go through it with CLAIMSTREAM_SECURITY_PROTOCOL=SSL and the CA
file; a plaintext client on the TLS port gets nowhere."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest

from streams.broker import EmbeddedBroker, free_port, kafka_answers, port_in_use
from tests.integration.conftest import SAMPLES
from tests.system_tools import system_tool

pytestmark = pytest.mark.integration



@pytest.fixture
def tls_broker(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """(host:port of the TLS proxy, the CA file that signed its certificate)."""
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run([system_tool("openssl"), "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-keyout", str(key), "-out", str(cert), "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1"], check=True, capture_output=True)
    tls_port = free_port()
    config = tmp_path / "stunnel.conf"
    config.write_text(f"foreground = yes\npid =\n[kafka]\naccept = 127.0.0.1:{tls_port}\n"
                      f"connect = 127.0.0.1:{{broker_port}}\ncert = {cert}\nkey = {key}\n")
    with EmbeddedBroker("127.0.0.1", free_port(), log_file=tmp_path / "tansu.log",
                        advertise=f"127.0.0.1:{tls_port}") as broker:
        config.write_text(config.read_text().replace("{broker_port}", str(broker.port)))
        proxy = subprocess.Popen([system_tool("stunnel4"), str(config)], stdout=subprocess.DEVNULL,
                                 stderr=(tmp_path / "stunnel.log").open("wb"))
        try:
            deadline = time.monotonic() + 20
            while not port_in_use("127.0.0.1", tls_port) and time.monotonic() < deadline:
                time.sleep(0.2)
            yield f"127.0.0.1:{tls_port}", cert
        finally:
            proxy.terminate()
            proxy.wait(10)


def test_worker_and_cli_speak_tls_to_the_broker(tls_broker: tuple[str, Path], tmp_path: Path) -> None:
    address, ca = tls_broker
    assert not kafka_answers(address, timeout_s=3), "a plaintext client must not get through the TLS port"
    prefix = f"tls{uuid.uuid4().hex[:6]}."
    env = {**os.environ, "CLAIMSTREAM_BROKER": f"kafka://{address}", "CLAIMSTREAM_SECURITY_PROTOCOL": "SSL",
           "CLAIMSTREAM_SSL_CAFILE": str(ca), "CLAIMSTREAM_TOPIC_PREFIX": prefix,
           "CLAIMSTREAM_WEB_PORT": str(free_port()), "CLAIMSTREAM_DATA_DIR": str(tmp_path / "data"),
           "CLAIMSTREAM_APP_ID": f"claimstream-{prefix.strip('.')}"}
    log = tmp_path / "worker.log"
    worker = subprocess.Popen([sys.executable, "-m", "streams", "worker"], env=env, cwd=tmp_path,
                              stdout=log.open("wb"), stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 120
        while b"Worker ready" not in log.read_bytes() and time.monotonic() < deadline:
            assert worker.poll() is None, log.read_text()
            time.sleep(0.5)
        assert b"Worker ready" in log.read_bytes(), log.read_text()[-3000:]

        sample = SAMPLES / "it-corea-truppe.txt"
        produced = subprocess.run([sys.executable, "-m", "streams", "produce", str(sample)], env=env,
                                  capture_output=True, text=True, timeout=120)
        assert produced.returncode == 0, produced.stderr
        tailed = subprocess.run([sys.executable, "-m", "streams", "tail", "claims", "--from-beginning",
                                 "--limit", "1", "--timeout", "90"], env=env, capture_output=True, text=True,
                                timeout=150)
        assert tailed.returncode == 0, tailed.stderr
        claim = orjson.loads(tailed.stdout.splitlines()[0])
        assert claim["article_id"] == sample.name
    finally:
        worker.terminate()
        worker.wait(30)
