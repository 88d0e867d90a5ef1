"""Security of the input path and the defaults: nothing listens beyond loopback unless configured, Kafka security
settings reach Faust and kafka-python alike, nothing on the input path unpickles or evaluates, and every regular
expression that reads input runs in linear time on adversarial input."""

from __future__ import annotations

import ast
import ssl
from pathlib import Path

import faust
import pytest

from streams import codecs, sources
from streams.app import broker_credentials
from streams.nlp.numbers import looks_like_year, parse_number
from streams.settings import Settings, SettingsError, from_env
from streams.stages import claims, dedupe, extract

STREAMS = Path(__file__).resolve().parents[2] / "streams"


def test_web_metrics_and_the_embedded_broker_listen_on_loopback_by_default() -> None:
    from streams.app import app

    settings = from_env({})
    assert settings.web_host == "127.0.0.1" and settings.embedded_host == "127.0.0.1"
    assert app.conf.web_host == "127.0.0.1"


def test_plaintext_by_default_with_no_credentials() -> None:
    settings = from_env({})
    assert settings.kafka_client_config() == {"security_protocol": "PLAINTEXT"}
    assert broker_credentials(settings) is None


def test_ssl_settings_reach_kafka_python_and_faust() -> None:
    settings = Settings(security_protocol="SSL")  # the system's CA bundle (tests/integration/test_tls.py: a file)
    config = settings.kafka_client_config()
    assert config["security_protocol"] == "SSL" and isinstance(config["ssl_context"], ssl.SSLContext)
    assert config["ssl_context"].check_hostname and config["ssl_context"].verify_mode == ssl.CERT_REQUIRED
    credentials = broker_credentials(settings)
    assert isinstance(credentials, faust.SSLCredentials)


def test_sasl_settings_reach_kafka_python_and_faust() -> None:
    settings = from_env({"CLAIMSTREAM_SECURITY_PROTOCOL": "SASL_SSL", "CLAIMSTREAM_SASL_MECHANISM": "SCRAM-SHA-512",
                         "CLAIMSTREAM_SASL_USERNAME": "claimstream", "CLAIMSTREAM_SASL_PASSWORD": "s3cret"})
    config = settings.kafka_client_config()
    assert config["security_protocol"] == "SASL_SSL" and config["sasl_mechanism"] == "SCRAM-SHA-512"
    assert (config["sasl_plain_username"], config["sasl_plain_password"]) == ("claimstream", "s3cret")
    assert isinstance(config["ssl_context"], ssl.SSLContext)
    credentials = broker_credentials(settings)
    assert isinstance(credentials, faust.SASLCredentials)
    assert (credentials.username, credentials.password) == ("claimstream", "s3cret")
    assert credentials.ssl_context is not None
    plain = broker_credentials(settings.with_overrides(security_protocol="SASL_PLAINTEXT"))
    assert isinstance(plain, faust.SASLCredentials) and plain.ssl_context is None


@pytest.mark.parametrize("env, message", [
    ({"CLAIMSTREAM_SECURITY_PROTOCOL": "TLS"}, "SECURITY_PROTOCOL must be one of"),
    ({"CLAIMSTREAM_SECURITY_PROTOCOL": "SASL_SSL"}, "needs CLAIMSTREAM_SASL_USERNAME"),
    ({"CLAIMSTREAM_SECURITY_PROTOCOL": "SASL_SSL", "CLAIMSTREAM_SASL_USERNAME": "u",
      "CLAIMSTREAM_SASL_MECHANISM": "GSSAPI"}, "SASL_MECHANISM must be one of"),
    ({"CLAIMSTREAM_SECURITY_PROTOCOL": "SSL", "CLAIMSTREAM_SSL_CAFILE": "/nonexistent/ca.pem"}, "no such file"),
])
def test_bad_security_settings_are_clear_errors(env: dict[str, str], message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        from_env(env)


UNSAFE_CALLS = {"eval", "exec", "compile", "__import__"}
UNSAFE_MODULES = {"pickle", "cPickle", "dill", "marshal", "shelve", "jsonpickle"}


def test_nothing_in_the_package_unpickles_or_evaluates() -> None:
    for path in STREAMS.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                assert node.func.id not in UNSAFE_CALLS, f"{path}:{node.lineno} calls {node.func.id}"
            if isinstance(node, ast.Import):
                assert not {a.name.split(".")[0] for a in node.names} & UNSAFE_MODULES, f"{path}:{node.lineno}"
            if isinstance(node, ast.ImportFrom):
                assert (node.module or "").split(".")[0] not in UNSAFE_MODULES, f"{path}:{node.lineno}"
            if isinstance(node, ast.Attribute) and node.attr == "load" and isinstance(node.value, ast.Name):
                assert node.value.id != "yaml", f"{path}:{node.lineno}: yaml.load (use safe_load)"


def test_faust_never_deserialises_with_pickle() -> None:
    from streams.app import app, topics

    for topic in vars(topics).values():
        assert (topic.key_serializer, topic.value_serializer) == ("raw", "raw")  # decoded by our own codecs
    for table in app.tables.values():
        assert {table.key_serializer, table.value_serializer} <= {"json", None}, table.name
    assert app.conf.value_serializer == "json" and app.conf.key_serializer in ("raw", "json")


# Inputs built to make backtracking regular expressions explode: long runs (about 1 MB) that almost match. On
# these a quadratic pattern needs minutes (the old META_CHARSET took 0.75 s on 48 KB and 4x that per doubling).
N = 1_000_000
ADVERSARIAL = [
    "a" * N + "!", "A" * N, "1" * N + "x", " " * N + "x", "dal " * (N // 4), "since " + "x " * (N // 2) + "\n",
    "SEUL " * (N // 5), "SEUL (" + "x" * N, "2026-" * (N // 5), "<meta " * (N // 6), "<meta" + " a" * (N // 2),
    "1.000" * (N // 5), "1," * (N // 2), "\n".join(["X" * 41] * (N // 42)),
]


@pytest.mark.timeout(120)  # a hard ceiling, far above what linear patterns need (seconds in all)
def test_every_regular_expression_on_input_is_linear_time() -> None:
    text_patterns = [extract.DATELINE, claims.YEAR, claims.SINCE, dedupe.WORD, codecs.ISO_DATETIME]
    for text in ADVERSARIAL:
        for pattern in text_patterns:
            list(pattern.finditer(text))
            pattern.search(text)
        sources.META_CHARSET.search(text.encode())
        claims.re.search(r"[,;:.!?\"]", text)
        parse_number(text, ",", ".")
        parse_number(text[:32], ",", ".")
        looks_like_year(text[:64])
