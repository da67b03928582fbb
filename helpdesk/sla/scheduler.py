"""APScheduler 3 inside the daemon: one wake-up job per office, derived from the store (stage 6).

The store is the single source of truth: jobs hold no state of their own. At start every office is
swept once (so whatever fell due while the daemon was down happens now, once: done actions are
recorded on their tickets), then each office's job is set for the next instant something falls due.
Mail taken in may change deadlines, so the daemon asks for a rescan after each batch.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.date import DateTrigger

from ..app import App
from ..config import Office
from ..errors import LocalFault
from .actions import last_digest_day, sweep_office
from .reports import send_due_reports
from .sweep import next_due

log = logging.getLogger(__name__)
SAFETY_MINUTES = 5  # a periodic sweep as well, in case a wall-clock jump skipped a wake-up
RETRY_SECONDS = 60  # an action that failed is tried again this much later, never in a busy loop


def job_id(office: Office) -> str:
    return f"sla:{office.code}"


class SlaScheduler:
    def __init__(self, app: App, on_mail_queued: Callable[[], None] = lambda: None) -> None:
        self.app = app
        self.on_mail_queued = on_mail_queued
        self.scheduler = AsyncIOScheduler(timezone=UTC)
        # A rescan asked for while one runs used to be dropped by APScheduler ("maximum number of
        # running instances reached"), though the running one may have read the store before the
        # newest batch. Now the running one goes round again. Both are touched on the loop only.
        self._rescan_wanted = self._rescan_running = False
        self._rescan_codes: set[str] = set()
        self._jobs_running, self._idle = 0, asyncio.Event()

    def start(self) -> None:
        """Catch up on every office now, then keep one wake-up job per office."""
        self.scheduler.start()
        self.scheduler.add_job(
            self.sweep_all,
            "interval",
            minutes=SAFETY_MINUTES,
            id="sla:safety",
            replace_existing=True,
            coalesce=True,
            max_instances=1,
        )
        for office in self.app.offices:
            # No trigger: runs at once. The sweep does what was missed, then reschedules the office.
            self.scheduler.add_job(
                self.run_office,
                args=[office.code],
                id=job_id(office),
                replace_existing=True,
                coalesce=True,
                misfire_grace_time=None,
                max_instances=1,
            )
        # Monthly reports to supervisors (issue 5): due from the opening of a month's first working
        # day; the month sent is recorded in the store, so this check is idempotent. Runs now, too.
        self.scheduler.add_job(
            self.monthly_reports,
            "interval",
            minutes=SAFETY_MINUTES,
            id="insight:monthly",
            replace_existing=True,
            coalesce=True,
            max_instances=1,
            next_run_time=datetime.now(UTC),
        )

    async def monthly_reports(self) -> None:
        async with self._job():
            try:
                queued = await asyncio.to_thread(send_due_reports, self.app, self.app.clock.now())
            except LocalFault:
                # As in run_office: the store said once that the disk is full; the reports queued in
                # memory go out after the first commit that succeeds (on the 1st of a month this ran
                # into a full disk and logged the store's fault as a job's traceback).
                return
            if queued:
                self.on_mail_queued()

    def shutdown(self) -> None:
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)

    @asynccontextmanager
    async def _job(self) -> AsyncIterator[None]:
        self._jobs_running += 1
        self._idle.clear()
        try:
            yield
        finally:
            self._jobs_running -= 1
            if not self._jobs_running:
                self._idle.set()

    async def stop(self) -> None:
        """Take no new jobs, let the running ones finish, then shut down.

        APScheduler's shutdown cancels a running coroutine job: a SIGTERM during a sweep or the
        monthly reports logged a CancelledError traceback, and the job's worker thread went on
        queueing mail and writing the store after the daemon had drained and said it had stopped.
        """
        if not self.scheduler.running:
            return
        self.scheduler.pause()
        await asyncio.sleep(0)  # a job task created just before the pause starts now
        if self._jobs_running:
            await self._idle.wait()
        self.shutdown()

    def plan(self, office: Office) -> datetime | None:
        """The next instant (by the app's clock) something falls due for the office."""
        with self.app.store.lock:
            tickets = self.app.store.open_tickets(office.code)
            last = last_digest_day(self.app, office)
        return next_due(tickets, office, self.app.calendar(office), self.app.clock.now(), last)

    def reschedule(self, office: Office, after_sweep: bool = False) -> datetime | None:
        """Set the office's job for its next due instant; returns that instant (None: nothing pending)."""
        when = self.plan(office)
        if when is None:
            if self.scheduler.get_job(job_id(office)):
                self.scheduler.remove_job(job_id(office))
            return None
        delay = when - self.app.clock.now()
        if delay <= timedelta(0) and after_sweep:
            # Still due right after a sweep: an action failed. Retry later rather than spin.
            delay = timedelta(seconds=RETRY_SECONDS)
        # The trigger runs on the real clock; the delay keeps a fixed test clock (--now) meaningful.
        run_at = datetime.now(UTC) + max(delay, timedelta(0))
        self.scheduler.add_job(
            self.run_office,
            DateTrigger(run_at),
            args=[office.code],
            id=job_id(office),
            replace_existing=True,
            coalesce=True,
            misfire_grace_time=None,
            max_instances=1,
        )
        return when

    def rebuild(self, codes: set[str] | None = None) -> dict[str, datetime | None]:
        """Derive every office's job (or these offices') from the store (at start, after a batch,
        and to check it in benchmarks)."""
        return {
            office.code: self.reschedule(office) for office in self.app.offices if codes is None or office.code in codes
        }

    def reschedule_all(self) -> None:
        """Ask for a rescan (on the event loop's thread); the work happens in a worker thread."""
        self._rescan_wanted = True
        self._start_rescan()

    def reschedule_offices(self, codes: set[str]) -> None:
        """Ask for a rescan of some offices only (on the event loop's thread): after a batch, the
        office whose mailbox it came from. A rescan of all 550 offices reads every open ticket
        550 times (seconds with 11,000 open); a ticket of another office that a batch touched
        (a copy Cc'd to this mailbox) is rescheduled by the safety sweep within minutes, long
        before anything of a new deadline falls due."""
        self._rescan_codes |= codes
        self._start_rescan()

    def _start_rescan(self) -> None:
        if self._rescan_running:
            return  # the running rescan sees the request and goes round again
        self._rescan_running = True
        self.scheduler.add_job(
            self._rescan,
            id="sla:rescan",
            replace_existing=True,
            coalesce=True,
            misfire_grace_time=None,
            max_instances=1,
        )

    async def _rescan(self) -> None:
        async with self._job():
            try:
                while self._rescan_wanted or self._rescan_codes:
                    if self._rescan_wanted:
                        self._rescan_wanted, self._rescan_codes = False, set()
                        await asyncio.to_thread(self.rebuild)
                    else:
                        codes, self._rescan_codes = self._rescan_codes, set()
                        await asyncio.to_thread(self.rebuild, codes)
            finally:
                self._rescan_running = False

    async def run_office(self, code: str) -> None:
        async with self._job():
            office = self.app.settings.office(code)
            try:
                actions = await asyncio.to_thread(sweep_office, self.app, office, self.app.clock.now())
            except LocalFault:
                # The data disk is full: the store said so once; what the sweep did in memory is
                # stored (and only then sent) by the first commit that succeeds.
                actions = []
            if actions:
                self.on_mail_queued()
            await asyncio.to_thread(self.reschedule, office, True)

    async def sweep_all(self) -> None:
        async with self._job():
            for office in self.app.offices:
                await self.run_office(office.code)
