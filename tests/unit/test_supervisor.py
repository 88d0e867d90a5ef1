"""The supervisor's decisions (streams/supervisor.py): pure, so every case is checked here; the real outage, with a
real broker stopped and started again under a real worker, is in tests/integration/test_broker_outage.py."""

from __future__ import annotations

import pytest

from streams.settings import Settings
from streams.supervisor import BACKOFF_S, SLOW_ANSWER_S, BrokerView, backoff_s, decide, lost_after_s

UP = BrokerView(answers=True)
DOWN = BrokerView(answers=False)
SLOW = BrokerView(answers=False, listening=True)  # accepts connections, the probe timed out
EMPTY = BrokerView(answers=True, missing=frozenset({"claims", "articles.raw"}))


@pytest.mark.parametrize(("view", "running", "unanswered_s", "action"), [
    (UP, True, 0, "wait"),  # all well
    (UP, False, 0, "start"),  # first start, or after a stop
    (EMPTY, False, 0, "start"),  # topics are created, then the worker starts
    (EMPTY, True, 0, "stop"),  # the broker restarted empty under a running worker
    (DOWN, True, 1.0, "wait"),  # a short silence: maybe a slow answer
    (DOWN, True, 2.0, "stop"),  # gone: the worker would auto-create topics when it is back
    (DOWN, False, 100.0, "wait"),  # nothing to start against
    (SLOW, True, 7.0, "wait"),  # a busy broker: one probe timed out
    (SLOW, True, SLOW_ANSWER_S, "stop"),  # listening but mute for a minute
])
def test_decide(view: BrokerView, running: bool, unanswered_s: float, action: str) -> None:
    assert decide(view, running, unanswered_s, lost_after_s=2.0) == action


def test_backoff_grows_while_the_worker_keeps_failing_and_is_bounded() -> None:
    waits = [backoff_s(n) for n in range(0, 10)]
    assert waits[0] == 0 and waits[1] == BACKOFF_S[0]
    assert waits == sorted(waits) and max(waits) == BACKOFF_S[-1]


def test_lost_after_is_short_on_the_embedded_broker_and_long_on_a_cluster() -> None:
    assert lost_after_s(Settings()) == 2.0  # the embedded default listens on 127.0.0.1
    assert lost_after_s(Settings(broker="kafka://kafka-1:9092,kafka-2:9092")) == 60.0
    assert lost_after_s(Settings(broker="kafka://kafka:9092", broker_lost_after_s=7)) == 7
