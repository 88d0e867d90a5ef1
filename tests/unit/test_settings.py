"""streams/settings.py: CLAIMSTREAM_* variables -> Settings, and what the settings derive from them."""

from __future__ import annotations

import pytest

from streams.settings import Settings, SettingsError, from_env


def test_empty_environment_gives_an_embedded_broker_on_loopback() -> None:
    s = from_env({})
    assert s.embedded
    assert s.broker_url == "kafka://127.0.0.1:9092"
    assert s.bootstrap_servers == ["127.0.0.1:9092"]
    assert s.on_loopback


def test_from_env_reads_only_the_given_mapping(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLAIMSTREAM_TOPIC_PREFIX", "from-process-env-")
    assert from_env({}).topic_prefix == ""
    assert from_env().topic_prefix == "from-process-env-"


def test_topic_prefix_and_topic_names() -> None:
    s = from_env({"CLAIMSTREAM_TOPIC_PREFIX": "t123-"})
    assert s.topic_prefix == "t123-"
    assert s.topic("articles.raw") == "t123-articles.raw"
    assert s.topic("claims") == "t123-claims"
    assert from_env({}).topic("claims") == "claims"


def test_empty_string_means_default() -> None:
    s = from_env({"CLAIMSTREAM_PARTITIONS": "", "CLAIMSTREAM_BROKER": ""})
    assert s.partitions == Settings().partitions
    assert s.embedded


@pytest.mark.parametrize(("raw", "expected"), [("1", 1), ("12", 12), (" 3 ", 3)])
def test_partitions_is_converted_to_int(raw: str, expected: int) -> None:
    s = from_env({"CLAIMSTREAM_PARTITIONS": raw})
    assert s.partitions == expected
    assert isinstance(s.partitions, int)


def test_float_fields_are_converted() -> None:
    s = from_env({"CLAIMSTREAM_BATCH_WITHIN_S": "0.5", "CLAIMSTREAM_SESSION_TIMEOUT_S": "7.5"})
    assert s.batch_within_s == 0.5
    assert s.session_timeout_s == 7.5


@pytest.mark.parametrize(
    ("name", "raw"),
    [
        ("CLAIMSTREAM_PARTITIONS", "four"),
        ("CLAIMSTREAM_PARTITIONS", "3.0"),
        ("CLAIMSTREAM_EMBEDDED_PORT", "90a2"),
        ("CLAIMSTREAM_BATCH_WITHIN_S", "soon"),
        ("CLAIMSTREAM_MAX_ARTICLE_BYTES", "2MB"),
    ],
)
def test_unparsable_number_is_a_settings_error_naming_the_variable(name: str, raw: str) -> None:
    with pytest.raises(SettingsError) as info:
        from_env({name: raw})
    assert name in str(info.value)
    assert isinstance(info.value, ValueError)


@pytest.mark.parametrize("raw", ["0", "-1"])
def test_partitions_below_one_is_a_settings_error(raw: str) -> None:
    with pytest.raises(SettingsError, match="PARTITIONS"):
        from_env({"CLAIMSTREAM_PARTITIONS": raw})


@pytest.mark.parametrize("guarantee", ["at_least_once", "exactly_once"])
def test_valid_processing_guarantees(guarantee: str) -> None:
    assert from_env({"CLAIMSTREAM_PROCESSING_GUARANTEE": guarantee}).processing_guarantee == guarantee


@pytest.mark.parametrize("guarantee", ["maybe_once", "AT_LEAST_ONCE", "at-least-once"])
def test_bad_processing_guarantee_is_a_settings_error(guarantee: str) -> None:
    with pytest.raises(SettingsError, match="PROCESSING_GUARANTEE"):
        from_env({"CLAIMSTREAM_PROCESSING_GUARANTEE": guarantee})


@pytest.mark.parametrize("broker", ["kafka://h:1", "h:1"])
def test_broker_with_or_without_scheme(broker: str) -> None:
    s = from_env({"CLAIMSTREAM_BROKER": broker})
    assert s.broker_url == "kafka://h:1"
    assert s.bootstrap_servers == ["h:1"]
    assert not s.embedded
    assert not s.on_loopback


def test_several_bootstrap_servers() -> None:
    s = from_env({"CLAIMSTREAM_BROKER": "kafka://a:1, b:2;c:3"})
    assert s.bootstrap_servers == ["a:1", "b:2", "c:3"]


def test_embedded_host_and_port_make_the_broker_url() -> None:
    s = from_env({"CLAIMSTREAM_EMBEDDED_HOST": "127.0.0.1", "CLAIMSTREAM_EMBEDDED_PORT": "19092"})
    assert s.embedded
    assert s.broker_url == "kafka://127.0.0.1:19092"
    assert s.bootstrap_servers == ["127.0.0.1:19092"]


def test_explicit_broker_wins_over_embedded_address() -> None:
    s = from_env({"CLAIMSTREAM_BROKER": "kafka://kafka:9092", "CLAIMSTREAM_EMBEDDED_PORT": "19092"})
    assert s.broker_url == "kafka://kafka:9092"
    assert not s.embedded


@pytest.mark.parametrize(
    "broker", ["127.0.0.1:9092", "kafka://localhost:9092", "kafka://127.0.0.1:9092,localhost:9093"]
)
def test_loopback_brokers(broker: str) -> None:
    assert from_env({"CLAIMSTREAM_BROKER": broker}).on_loopback


@pytest.mark.parametrize(
    "broker", ["kafka://kafka:9092", "kafka://127.0.0.1:9092,kafka:9092", "10.0.0.5:9092"]
)
def test_non_loopback_brokers(broker: str) -> None:
    assert not from_env({"CLAIMSTREAM_BROKER": broker}).on_loopback


def test_embedded_broker_on_a_public_interface_is_not_loopback() -> None:
    assert not from_env({"CLAIMSTREAM_EMBEDDED_HOST": "0.0.0.0"}).on_loopback


@pytest.mark.parametrize("broker", ["[::1]:9092", "kafka://[::1]:9092"])
def test_ipv6_loopback_broker_is_loopback(broker: str) -> None:
    assert from_env({"CLAIMSTREAM_BROKER": broker}).on_loopback


def test_group_timeouts_are_short_on_loopback() -> None:
    loop = from_env({}).group_timeouts()
    assert set(loop) == {"broker_rebalance_timeout", "broker_session_timeout", "broker_heartbeat_interval"}
    remote = from_env({"CLAIMSTREAM_BROKER": "kafka://kafka:9092"}).group_timeouts()
    assert set(remote) == set(loop)
    for key in loop:
        assert 0 < loop[key] < remote[key], key
    # a few seconds on loopback, so a worker joins its group at once
    assert loop["broker_rebalance_timeout"] <= 10
    assert loop["broker_session_timeout"] <= 10


def test_group_timeouts_are_long_on_a_real_cluster() -> None:
    t = from_env({"CLAIMSTREAM_BROKER": "kafka://kafka:9092"}).group_timeouts()
    assert t["broker_rebalance_timeout"] >= 30
    assert t["broker_session_timeout"] >= 30
    # Kafka wants the heartbeat well inside the session timeout
    assert t["broker_heartbeat_interval"] * 3 <= t["broker_session_timeout"]


def test_heartbeat_inside_session_timeout_on_loopback() -> None:
    t = from_env({}).group_timeouts()
    assert t["broker_heartbeat_interval"] * 3 <= t["broker_session_timeout"]


def test_explicit_timeouts_win_over_auto() -> None:
    env = {
        "CLAIMSTREAM_BROKER": "kafka://kafka:9092",
        "CLAIMSTREAM_REBALANCE_TIMEOUT_S": "5",
        "CLAIMSTREAM_SESSION_TIMEOUT_S": "12.5",
        "CLAIMSTREAM_HEARTBEAT_INTERVAL_S": "2",
    }
    assert from_env(env).group_timeouts() == {
        "broker_rebalance_timeout": 5.0,
        "broker_session_timeout": 12.5,
        "broker_heartbeat_interval": 2.0,
    }


def test_only_one_timeout_overridden_leaves_the_others_auto() -> None:
    auto = from_env({}).group_timeouts()
    t = from_env({"CLAIMSTREAM_SESSION_TIMEOUT_S": "30"}).group_timeouts()
    assert t["broker_session_timeout"] == 30.0
    assert t["broker_rebalance_timeout"] == auto["broker_rebalance_timeout"]
    assert t["broker_heartbeat_interval"] == auto["broker_heartbeat_interval"]


def test_with_overrides_returns_a_new_settings() -> None:
    base = from_env({})
    other = base.with_overrides(topic_prefix="x-", partitions=1)
    assert other.topic("claims") == "x-claims"
    assert other.partitions == 1
    assert base.topic("claims") == "claims"


def test_zero_publish_interval_is_rejected_at_start_up() -> None:
    with pytest.raises(SettingsError):
        from_env({"CLAIMSTREAM_AGGREGATE_PUBLISH_S": "0"})


def test_producer_batches_are_the_clients_default_unless_set() -> None:
    # the embedded broker too: its end offsets are read exactly where they matter (streams/ends.py)
    assert from_env({"CLAIMSTREAM_BROKER": "kafka://127.0.0.1:9092"}).producer_max_batch_size == 16384
    assert from_env({"CLAIMSTREAM_BROKER": "kafka://kafka:9092"}).producer_max_batch_size == 16384
    assert from_env({"CLAIMSTREAM_BROKER": "kafka://kafka:9092", "CLAIMSTREAM_PRODUCER_BATCH_BYTES": "65536"}
                    ).producer_max_batch_size == 65536
    with pytest.raises(SettingsError, match="PRODUCER_BATCH_BYTES"):
        from_env({"CLAIMSTREAM_PRODUCER_BATCH_BYTES": "-1"})


def test_end_offsets_are_read_exactly_only_on_the_embedded_broker() -> None:
    loopback = {"CLAIMSTREAM_BROKER": "kafka://127.0.0.1:9092"}
    assert from_env(loopback).ends_need_reading
    assert not from_env({"CLAIMSTREAM_BROKER": "kafka://kafka:9092"}).ends_need_reading
    # exactly_once means Kafka, where a partition may end in a transaction marker that no read returns
    assert not from_env({**loopback, "CLAIMSTREAM_PROCESSING_GUARANTEE": "exactly_once"}).ends_need_reading


def test_fetch_wait_is_short_on_a_loopback_broker_by_default() -> None:
    # Tansu answers a fetch only when its wait is over: every hop between stages waited that long.
    assert from_env({"CLAIMSTREAM_BROKER": "kafka://127.0.0.1:9092"}).fetch_wait_ms == 25
    assert from_env({"CLAIMSTREAM_BROKER": "kafka://kafka:9092"}).fetch_wait_ms == 1500
    assert from_env({"CLAIMSTREAM_FETCH_MAX_WAIT_MS": "200"}).fetch_wait_ms == 200
    with pytest.raises(SettingsError, match="FETCH_MAX_WAIT_MS"):
        from_env({"CLAIMSTREAM_FETCH_MAX_WAIT_MS": "-5"})
