"""All configuration in one dataclass, read from CLAIMSTREAM_* environment variables."""

from __future__ import annotations

import os
import ssl
from dataclasses import dataclass, field, fields, replace
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from streams.stages.clean import CleanConfig

ENV_PREFIX = "CLAIMSTREAM_"
PRODUCER_BATCH_BYTES = 16384  # the Kafka client's default record batch size


class SettingsError(ValueError):
    """A CLAIMSTREAM_* variable holds a value we cannot use."""


@dataclass(frozen=True)
class Settings:
    # kafka://host:port of an external broker; empty means "start the embedded broker".
    broker: str = ""
    # Where the embedded broker listens (and what `produce`/`tail` talk to when `broker` is empty).
    embedded_host: str = "127.0.0.1"
    embedded_port: int = 9092
    topic_prefix: str = ""
    partitions: int = 4
    app_id: str = "claimstream"
    max_article_bytes: int = 2 * 1024 * 1024
    web_host: str = "127.0.0.1"
    web_port: int = 6066
    # Consumer-group timeouts; 0 means "auto": a few seconds on a loopback broker (embedded, tests) so a
    # worker is ready at once, Faust's defaults on a real cluster.
    rebalance_timeout_s: float = 0
    session_timeout_s: float = 0
    heartbeat_interval_s: float = 0
    processing_guarantee: str = "at_least_once"
    # Aggregates: how often changed actors' records are published (a burst becomes one record per window).
    aggregate_publish_s: float = 1.0
    # Cleaning: a line in K articles of one outlet within the window is furniture; copies within N days
    # (estimated Jaccard of word 5-shingles >= threshold) are flagged duplicate_of the first.
    learn_min_articles: int = 3
    learn_window_s: float = 14 * 86400
    dedupe_window_s: float = 7 * 86400
    dedupe_threshold: float = 0.5
    batch_size: int = 64
    batch_within_s: float = 0.02  # each batched stage waits up to this long for a fuller batch: it adds to latency
    # The worker's producer record batches, in bytes; 0 means "auto": 16384, the Kafka client's default. (The
    # embedded broker's end offsets, which stop short of a partition's last batch, are read exactly where they
    # decide how far to read: streams/ends.py.)
    producer_batch_bytes: int = 0
    # How long a fetch waits for data; 0 means "auto": 25 ms on a loopback broker, 1500 (Faust's) elsewhere. The
    # embedded broker answers a fetch only when the wait is over, data or not: each hop between stages waited.
    fetch_max_wait_ms: int = 0
    # `claimstream worker` stops its Faust worker when the broker has not answered for this long, and starts a
    # fresh one when it is back; 0 means "auto": 2 s on a loopback broker (the embedded one comes back empty),
    # 60 s elsewhere (a cluster keeps its topics: the worker's clients reconnect by themselves).
    broker_lost_after_s: float = 0
    data_dir: str = field(default_factory=lambda: os.path.join(os.getcwd(), ".claimstream"))
    log_level: str = "info"
    # Kafka security, given to Faust and to kafka-python (CLI, topic creation) alike.
    security_protocol: str = "PLAINTEXT"  # PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL
    ssl_cafile: str = ""  # CA bundle that signed the broker's certificate (empty: the system's)
    ssl_certfile: str = ""  # client certificate, for brokers that require one
    ssl_keyfile: str = ""
    sasl_mechanism: str = "PLAIN"  # PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512
    sasl_username: str = ""
    sasl_password: str = ""

    @property
    def broker_url(self) -> str:
        """The broker as Faust wants it: kafka://host:port."""
        if self.broker:
            return self.broker if "://" in self.broker else f"kafka://{self.broker}"
        return f"kafka://{self.embedded_host}:{self.embedded_port}"

    @property
    def bootstrap_servers(self) -> list[str]:
        """The broker as kafka-python wants it: ["host:port", ...]."""
        hosts = self.broker_url.split("://", 1)[1]
        return [h.strip() for h in hosts.replace(";", ",").split(",") if h.strip()]

    @property
    def on_loopback(self) -> bool:
        return all(host_of(h) in ("127.0.0.1", "localhost", "::1") for h in self.bootstrap_servers)

    @property
    def fetch_wait_ms(self) -> int:
        return self.fetch_max_wait_ms or (25 if self.on_loopback else 1500)

    @property
    def ends_need_reading(self) -> bool:
        """Whether a partition's end offset is read exactly instead of taken from the broker (streams/ends.py): on
        a loopback broker, the embedded one, whose ends stop short of the last record batch. Kafka's are exact, and
        under exactly_once (Kafka only) a partition can end in a transaction marker, which no read returns."""
        return self.on_loopback and self.processing_guarantee == "at_least_once"

    @property
    def producer_max_batch_size(self) -> int:
        return self.producer_batch_bytes or PRODUCER_BATCH_BYTES

    def group_timeouts(self) -> dict[str, float]:
        """Faust's broker_* timeout settings: explicit values win, then the loopback/cluster default."""
        short = self.on_loopback
        return {
            "broker_rebalance_timeout": self.rebalance_timeout_s or (3.0 if short else 60.0),
            "broker_session_timeout": self.session_timeout_s or (10.0 if short else 60.0),
            "broker_heartbeat_interval": self.heartbeat_interval_s or (1.0 if short else 3.0),
        }

    @property
    def uses_ssl(self) -> bool:
        return self.security_protocol in ("SSL", "SASL_SSL")

    @property
    def uses_sasl(self) -> bool:
        return self.security_protocol.startswith("SASL_")

    def ssl_context(self) -> ssl.SSLContext | None:
        """The TLS context for SSL and SASL_SSL (hostname checked), else None."""
        if not self.uses_ssl:
            return None
        context = ssl.create_default_context(cafile=self.ssl_cafile or None)
        if self.ssl_certfile:
            context.load_cert_chain(self.ssl_certfile, self.ssl_keyfile or None)
        return context

    def kafka_client_config(self) -> dict[str, Any]:
        """The security settings as kafka-python client arguments (producer, consumer, admin)."""
        config: dict[str, Any] = {"security_protocol": self.security_protocol}
        if self.uses_ssl:
            config["ssl_context"] = self.ssl_context()
        if self.uses_sasl:
            config.update(sasl_mechanism=self.sasl_mechanism, sasl_plain_username=self.sasl_username,
                          sasl_plain_password=self.sasl_password)
        return config

    @property
    def message_max_bytes(self) -> int:
        """The largest message on any topic: an extracted article carries its body and its spans, so a few times
        the largest raw article (producers, consumers and topics are all configured with it)."""
        return 4 * self.max_article_bytes + 1024 * 1024

    @property
    def embedded(self) -> bool:
        return not self.broker

    def topic(self, name: str) -> str:
        return f"{self.topic_prefix}{name}"

    def with_overrides(self, **changes: Any) -> Settings:
        return replace(self, **changes)


def host_of(server: str) -> str:
    """'h:9092' -> 'h'; '[::1]:9092' -> '::1'."""
    if server.startswith("["):
        return server[1:].split("]", 1)[0]
    return server.rsplit(":", 1)[0] if server.count(":") == 1 else server


SECURITY_PROTOCOLS = ("PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL")
SASL_MECHANISMS = ("PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512")
POSITIVE = ("partitions", "max_article_bytes", "aggregate_publish_s", "batch_size", "embedded_port",
            "learn_min_articles", "learn_window_s", "dedupe_window_s")


def _convert(raw: str, kind: Any, name: str) -> Any:
    try:
        if kind in (int, "int"):
            return int(raw)
        if kind in (float, "float"):
            return float(raw)
    except ValueError as exc:
        raise SettingsError(f"{ENV_PREFIX}{name.upper()}={raw!r} is not a {kind}") from exc
    return raw


def from_env(environ: dict[str, str] | None = None) -> Settings:
    """Build Settings from CLAIMSTREAM_<FIELD> variables (e.g. CLAIMSTREAM_TOPIC_PREFIX)."""
    env = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    for f in fields(Settings):
        raw = env.get(ENV_PREFIX + f.name.upper())
        if raw is not None and raw != "":
            values[f.name] = _convert(raw, f.type, f.name)
    settings = Settings(**values)
    for name in POSITIVE:
        if getattr(settings, name) < 1:
            raise SettingsError(f"{ENV_PREFIX}{name.upper()} must be >= 1, got {getattr(settings, name)}")
    if not 0 < settings.dedupe_threshold <= 1:
        raise SettingsError(f"{ENV_PREFIX}DEDUPE_THRESHOLD must be in (0, 1], got {settings.dedupe_threshold}")
    if settings.fetch_max_wait_ms < 0:
        raise SettingsError(f"{ENV_PREFIX}FETCH_MAX_WAIT_MS must be >= 0 (0: auto), got {settings.fetch_max_wait_ms}")
    if settings.producer_batch_bytes < 0:
        raise SettingsError(f"{ENV_PREFIX}PRODUCER_BATCH_BYTES must be >= 0 (0: auto), "
                            f"got {settings.producer_batch_bytes}")
    if settings.broker_lost_after_s < 0:
        raise SettingsError(f"{ENV_PREFIX}BROKER_LOST_AFTER_S must be >= 0 (0: auto), "
                            f"got {settings.broker_lost_after_s}")
    if settings.batch_within_s <= 0:
        raise SettingsError(f"{ENV_PREFIX}BATCH_WITHIN_S must be > 0, got {settings.batch_within_s}")
    if settings.processing_guarantee not in ("at_least_once", "exactly_once"):
        raise SettingsError(f"{ENV_PREFIX}PROCESSING_GUARANTEE must be at_least_once or exactly_once")
    if settings.security_protocol not in SECURITY_PROTOCOLS:
        raise SettingsError(f"{ENV_PREFIX}SECURITY_PROTOCOL must be one of {', '.join(SECURITY_PROTOCOLS)}")
    if settings.uses_sasl and settings.sasl_mechanism not in SASL_MECHANISMS:
        raise SettingsError(f"{ENV_PREFIX}SASL_MECHANISM must be one of {', '.join(SASL_MECHANISMS)}")
    if settings.uses_sasl and not settings.sasl_username:
        raise SettingsError(f"{ENV_PREFIX}SECURITY_PROTOCOL={settings.security_protocol} needs "
                            f"{ENV_PREFIX}SASL_USERNAME and {ENV_PREFIX}SASL_PASSWORD")
    for name in ("ssl_cafile", "ssl_certfile", "ssl_keyfile"):
        path = getattr(settings, name)
        if path and not os.path.isfile(path):
            raise SettingsError(f"{ENV_PREFIX}{name.upper()}={path!r}: no such file")
    return settings


def clean_config(settings: Settings) -> CleanConfig:
    from streams.stages.clean import CleanConfig

    return CleanConfig(learn_min_articles=settings.learn_min_articles, learn_window_s=settings.learn_window_s,
                       dedupe_window_s=settings.dedupe_window_s, dedupe_threshold=settings.dedupe_threshold)
