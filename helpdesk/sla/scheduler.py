"""APScheduler 3 inside the daemon: one wake-up job per office, derived from the store (stage 6).

The store is the single source of truth: jobs hold no state of their own. At start every office is
swept once (so whatever fell due while the daemon was down happens now, once), then each office's
job is set for the next instant something falls due. A change to tickets reschedules the office.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import timezone

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.date import DateTrigger

from ..app import App
from ..config import Office
from .actions import sweep_office
from .sweep import next_due

log = logging.getLogger(__name__)
SAFETY_MINUTES = 5     # a periodic sweep as well, in case a wall-clock jump skipped a wake-up


class SlaScheduler:
    def __init__(self, app: App, on_mail_queued: Callable[[], None] = lambda: None) -> None:
        self.app = app
        self.on_mail_queued = on_mail_queued
        self.scheduler = AsyncIOScheduler(timezone=timezone.utc)

    def start(self) -> None:
        """Sweep every office now (catching up on missed work), then schedule the next wake-ups."""
        self.scheduler.start()
        self.scheduler.add_job(self.sweep_all, "interval", minutes=SAFETY_MINUTES, id="sla:safety",
                               replace_existing=True, coalesce=True, max_instances=1)
        for office in self.app.settings.offices:
            self.scheduler.add_job(self.run_office, args=[office.code], id=f"sla:{office.code}",
                                   replace_existing=True, coalesce=True, misfire_grace_time=None,
                                   max_instances=1)

    def shutdown(self) -> None:
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)

    def reschedule(self, office: Office) -> None:
        """Set the office's job for the next due instant (none when nothing is pending)."""
        with self.app.store.lock:
            when = next_due(self.app.store.open_tickets(office.code), office, self.app.calendar(office),
                            self.app.clock.now())
        job_id = f"sla:{office.code}"
        if when is None:
            if self.scheduler.get_job(job_id):
                self.scheduler.remove_job(job_id)
            return
        self.scheduler.add_job(self.run_office, DateTrigger(when), args=[office.code], id=job_id,
                               replace_existing=True, coalesce=True, misfire_grace_time=None,
                               max_instances=1)

    def reschedule_all(self) -> None:
        for office in self.app.settings.offices:
            self.reschedule(office)

    async def run_office(self, code: str) -> None:
        office = self.app.settings.office(code)
        actions = await asyncio.to_thread(sweep_office, self.app, office, self.app.clock.now())
        if actions:
            log.info("office %s: %d sla actions done", code, len(actions))
            self.on_mail_queued()
        self.reschedule(office)

    async def sweep_all(self) -> None:
        for office in self.app.settings.offices:
            await self.run_office(office.code)
