"""`kapwatch serve`: the weekly schedule on one machine, with a scheduler of kapwatch's own.

Why not Prefect's `flow.serve()`: a Prefect schedule only fires with a long-running
`prefect server start` (against the temporary server `serve` logs "Cannot schedule flows on
an ephemeral server" and never runs), which is a second service with its own database to keep
alive, and `serve` pauses its schedules when it exits. This loop is one process: it works out
the next time of the cron in KAPWATCH_TIMEZONE (the same syntax as prefect.yaml's), sleeps
until then and starts `kapwatch run` for it, which runs the same weekly_digest flow (recorded
under $KAPWATCH_HOME/prefect like any CLI run).

Restarting it never runs a window twice: the window is worked out by the store (from the end
of the last rendered one), a run of a window already rendered rebuilds the same digest and
never resends it, and a start catches up only a slot that passed after the last digest was
rendered (the machine was off on Monday morning).
"""

from __future__ import annotations

import logging
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from types import FrameType
from zoneinfo import ZoneInfo

from cronsim import CronSim, CronSimError

log = logging.getLogger(__name__)

RUN_COMMAND = (sys.executable, "-m", "kapwatch.cli", "run")
OUTCOMES = {
    0: "digest written",
    1: "no digest",
    2: "bad input",
    3: "digest written but not delivered",
}


class ScheduleError(ValueError):
    """The cron expression cannot be read; the message says why."""


class Schedule:
    """A cron expression in a time zone."""

    def __init__(self, cron: str, tz: ZoneInfo) -> None:
        self.cron, self.tz = cron, tz
        try:
            CronSim(cron, datetime.now(tz))
        except CronSimError as exc:
            raise ScheduleError(f"--cron {cron!r}: {exc}") from None

    def next_after(self, moment: datetime) -> datetime:
        return next(iter(CronSim(self.cron, moment.astimezone(self.tz))))

    def last_before(self, moment: datetime) -> datetime:
        return next(iter(CronSim(self.cron, moment.astimezone(self.tz), reverse=True)))


class Scheduler:
    """Runs `command` at each time of the schedule until stopped (SIGTERM, SIGINT).

    `last_digest` tells when the last digest was rendered (None: never), for the catch-up.
    A signal during a run is passed on to the run, which stops cleanly (its lock released).
    """

    def __init__(
        self,
        schedule: Schedule,
        last_digest: Callable[[], datetime | None],
        command: Sequence[str] = RUN_COMMAND,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.schedule, self.last_digest, self.command, self.clock = (
            schedule,
            last_digest,
            command,
            clock,
        )
        self.stopping = threading.Event()
        self.child: subprocess.Popen[bytes] | None = None

    def stop(self, signum: int = signal.SIGTERM, _frame: FrameType | None = None) -> None:
        if not self.stopping.is_set():
            log.info("stopping (%s)", signal.Signals(signum).name)
        self.stopping.set()
        if self.child is not None and self.child.poll() is None:
            self.child.send_signal(signal.SIGTERM)

    def missed(self) -> datetime | None:
        """The last slot, if it passed after the last digest was rendered."""
        last = self.last_digest()
        if last is None:
            return None
        slot = self.schedule.last_before(self.clock())
        return slot if slot > last.replace(tzinfo=last.tzinfo or UTC) else None

    def loop(self) -> None:
        slot = self.missed()
        if slot is not None:
            log.info("the run of %s was missed; running it now", _when(slot))
            self.run_once()
        while not self.stopping.is_set():
            upcoming = self.schedule.next_after(self.clock())
            log.info("next run: %s", _when(upcoming))
            while (left := (upcoming - self.clock()).total_seconds()) > 0:
                if self.stopping.wait(left):
                    break
            if not self.stopping.is_set():
                self.run_once()
        log.info("stopped")

    def run_once(self) -> int:
        log.info("running: %s", " ".join(self.command[2:]))
        self.child = subprocess.Popen(self.command)
        code = self.child.wait()
        self.child = None
        log.info("run finished: exit %d (%s)", code, OUTCOMES.get(code, "stopped or crashed"))
        return code


def _when(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M %Z (%A)")


def serve_forever(scheduler: Scheduler) -> None:
    """Run the scheduler in the foreground; SIGTERM and SIGINT stop it."""
    previous = {sig: signal.signal(sig, scheduler.stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        scheduler.loop()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
