"""A graceful stop that repeats nothing: drain, commit, then stop.

On SIGTERM Faust commits what its agents have acknowledged and then cancels them, mid-batch: what a batch had
already sent before the cancel is sent again after the restart. Here the worker first stops fetching, lets every
agent finish the messages it holds (so they are acknowledged), commits, and only then stops the way Faust does."""

from __future__ import annotations

import asyncio
import logging
import signal
from typing import Any

import faust

log = logging.getLogger(__name__)
DRAIN_TIMEOUT_S = 20.0  # beyond it, stop anyway: nothing is lost, a few events may be sent twice


async def drain(app: Any, quiet_s: float = 1.0, poll_s: float = 0.05) -> int:
    """Stop fetching; wait until every message already fetched has been handed to its agent and acknowledged
    (nothing unacknowledged for `quiet_s`: messages queued for an agent keep arriving until then); commit.
    Returns how many messages were in the agents' hands when it began."""
    consumer = app.consumer
    consumer.pause_partitions(consumer.assignment())
    consumer._clean_unacked_messages()  # Faust's own record of messages not yet acknowledged (private)
    holding = len(consumer._unacked_messages)
    loop = asyncio.get_running_loop()
    quiet_since = None
    while quiet_since is None or loop.time() - quiet_since < quiet_s:
        await asyncio.sleep(poll_s)
        consumer._clean_unacked_messages()
        if consumer._unacked_messages:
            quiet_since = None
        elif quiet_since is None:
            quiet_since = loop.time()
    await commit_all(consumer)
    return holding


async def commit_all(consumer: Any) -> None:
    """Commit every acknowledged offset. Faust's commit() does nothing while another commit is under way (it waits
    for that one, which may have begun before the last acknowledgements): wait for it first."""
    while consumer._commit_fut is not None:  # Faust's commit under way (private)
        await consumer.maybe_wait_for_commit_to_finish()
    await consumer.commit()


class DrainingWorker(faust.Worker):
    """faust.Worker whose SIGTERM / Ctrl-C drains before stopping."""

    def _schedule_shutdown(self, signum: signal.Signals) -> None:
        if self._signal_stop_time:  # a second signal while draining: nothing more to do
            return
        self._signal_stop_time = self.loop.time()
        self._signal_stop_future = asyncio.ensure_future(self._drain_then_stop(signum), loop=self.loop)

    async def _drain_then_stop(self, signum: signal.Signals) -> None:
        try:
            holding = await asyncio.wait_for(drain(self.app), DRAIN_TIMEOUT_S)
            log.info("drained: the %d messages in hand were finished and committed", holding)
        except TimeoutError:
            log.warning("drain did not finish within %.0f s: stopping anyway", DRAIN_TIMEOUT_S)
        except Exception:  # noqa: BLE001 - a failed drain must not prevent the stop
            log.exception("drain failed: stopping anyway")
        await self._stop_on_signal(signum)
