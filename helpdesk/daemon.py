"""Wiring and lifecycle: the mailboxes' waiter, the intake, the outbox worker; SIGTERM drains and exits."""

from __future__ import annotations

import asyncio
import functools
import gc
import logging
import signal
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import TYPE_CHECKING

from .app import App
from .errors import LocalFault
from .inbound.intake import Intake
from .inbound.mailbox import MailboxWorker
from .inbound.waiter import Waiter
from .kinds import Purpose
from .model import OutgoingMail
from .outbound.outbox import Outbox
from .outbound.store_alert import tell_broken
from .tickets.officemeta import OfficeMeta

if TYPE_CHECKING:
    from .sla.scheduler import SlaScheduler

log = logging.getLogger(__name__)
FAILURE_NOTICE_EVERY = timedelta(hours=1)
SUPERVISOR_PURPOSES = {
    Purpose.DELIVERY_FAILURE,
    Purpose.QUARANTINE_NOTICE,
    Purpose.ESCALATION,
    Purpose.DIGEST,
    Purpose.REPORT,
    Purpose.STORE_BROKEN,
}


def warm_up(app: App) -> threading.Thread:
    """Load in the background what the first mail needs and the start does not: the mail readers
    (inbound.parse, classify), the pipeline's steps with the templates (Jinja2) they render, the
    national holidays (from their file in the data folder; without it the `holidays` package
    imports every country's module to find Indonesia's) and the consultation search (numpy), up to
    a second of CPU on a busy machine. Meanwhile the mailboxes log in and fetch, waiting on the
    IMAP server, so the first mail finds them ready. Then what the start made is frozen for the
    garbage collector (freeze_start)."""

    def load() -> None:
        try:
            from . import pipeline  # noqa: F401  (every step; first, as Intake._process imports it)
            from .inbound import classify, parse  # noqa: F401
            from .sla.workdays import preload

            _ = app.templates  # Jinja2's environment made now; each template is compiled at first use
            preload(app.clock.now().year, app.settings.cache_dir)  # every deadline needs it
            from .insight import index_cache  # noqa: F401  (numpy, the index modules)
        except Exception:  # noqa: BLE001 - only a head start: the first mail loads them and meets any fault
            log.debug("warm-up failed; the first mail loads what it needs", exc_info=True)
        freeze_start()

    thread = threading.Thread(target=load, daemon=True, name="warm-up")
    thread.start()
    return thread


def freeze_start() -> None:
    """What the start made (the modules, the settings, the store as read) lives as long as the
    process: frozen once (gc.freeze), the cyclic garbage collector no longer walks it at each full
    collection, which cost the helpdesk process 0.03-0.11 s of CPU every 1,000 mails. Once per
    process: what later runs make (tests' daemons, one process's many runs) stays collectable. A
    frozen object is still freed when nothing refers to it; only a cycle among them would stay."""
    if gc.get_freeze_count() == 0:
        gc.freeze()


class Daemon:
    """Everything that runs: built from an App, started with `run()` or `run_once()`."""

    def __init__(self, app: App) -> None:
        self.app = app
        self.intake = Intake(app)
        self.outbox = Outbox(app.store, app.settings.smtp, app.clock, on_permanent_failure=self.report_failure)
        self.workers = [
            MailboxWorker(o, self.intake, on_ingested=functools.partial(self._mail_taken_in, o.code))
            for o in app.offices
            if o.imap is not None
        ]
        self.sla: SlaScheduler | None = None
        self.stop = threading.Event()
        self.waiter: Waiter | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._outbox_wake: asyncio.Event | None = None

    # -- one pass, for cron and tests --------------------------------------------------------------
    async def run_once(self) -> None:
        """Fetch everything that waits in every mailbox, process it, drain the outbox, then return.

        Mail stored by one fetched batch goes out while the next batch is fetched and processed."""
        try:
            await self._run_once()
        finally:
            await self.outbox.close()

    async def _run_once(self) -> None:
        warming = warm_up(self.app)
        try:
            await self._fetch_and_send_once()
        finally:
            await asyncio.to_thread(warming.join)

    async def _fetch_and_send_once(self) -> None:
        await self.outbox.start()
        self.tell_broken()
        self.intake.process_pending()
        loop = asyncio.get_running_loop()
        self._loop, self._outbox_wake = loop, asyncio.Event()
        with ThreadPoolExecutor(max_workers=min(8, max(1, len(self.workers)))) as pool:
            fetching = asyncio.gather(*(loop.run_in_executor(pool, w.run_once) for w in self.workers))
            sending = asyncio.create_task(self._drain_while(fetching))
            try:
                counts = await fetching
            finally:
                self._wake_outbox()
                await sending
        self._loop = None
        log.info("run --once: %d mails fetched from %d mailboxes", sum(counts), len(self.workers))
        # The acknowledgements go out before the sweeps and the monthly reports are made: a report
        # due today (charts of every office) took seconds that the last citizens waited through.
        result = await self.outbox.drain()
        await self.after_ingest()
        later = await self.outbox.drain()
        log.info(
            "outbox: %d sent, %d to retry, %d failed",
            len(result.sent) + len(later.sent),
            len(result.retrying) + len(later.retrying),
            len(result.failed) + len(later.failed),
        )

    async def after_ingest(self) -> None:
        """Everything due by the clock's now: reminders, escalations, closes, digests, and the
        monthly reports (cron's `run --once` owes them as much as the long-running scheduler)."""
        from .sla.actions import sweep_office  # the staff mail builders: after the mail, not at start

        for office in self.app.offices:
            await asyncio.to_thread(sweep_office, self.app, office, self.app.clock.now())
        from .sla.reports import send_due_reports  # numpy and the report's figures: only now, not at start

        # Each report queued (or not mailed, for want of supervisors) is logged where it is decided.
        await asyncio.to_thread(send_due_reports, self.app, self.app.clock.now())

    async def _drain_while(self, fetching: asyncio.Future) -> None:
        """Drain the outbox each time a batch was stored, until the fetching is over."""
        assert self._outbox_wake is not None
        while not fetching.done():
            await self._outbox_wake.wait()
            self._outbox_wake.clear()
            if not fetching.done():
                await self.outbox.drain()

    # -- the daemon --------------------------------------------------------------------------------
    async def run(self) -> None:
        """Run until SIGTERM/SIGINT: workers in threads, the outbox in the event loop."""
        self._loop = asyncio.get_running_loop()
        self._outbox_wake = asyncio.Event()
        for sig in (signal.SIGTERM, signal.SIGINT):
            self._loop.add_signal_handler(sig, self.request_stop)
        # APScheduler scans every installed package's entry points as it is imported (a tenth of
        # a second): only the running daemon needs it, not `run --once`.
        from .sla.scheduler import SlaScheduler

        warm_up(self.app)
        await self.outbox.start()
        self.tell_broken()
        try:
            self.intake.process_pending()
        except LocalFault:
            pass  # the store said it once; the mailbox workers try again until the disk has space
        self.sla = SlaScheduler(self.app, on_mail_queued=self._wake_outbox)
        self.sla.start()
        # One thread waits on every mailbox; its pool runs a round only for a mailbox with news.
        self.waiter = Waiter(self.workers, self.stop, on_fatal=self._wake_outbox)
        waiting = threading.Thread(target=self.waiter.run, daemon=True, name="mailboxes")
        waiting.start()
        log.info("helpdesk running: %d mailboxes", len(self.workers))
        try:
            await self._outbox_loop()
        finally:
            self.waiter.stop()
            await self.sla.stop()  # running sweeps finish, so the drain below sends their mail
            await asyncio.to_thread(waiting.join)
            fatal = self.waiter.fatal
            if fatal is not None:
                raise fatal  # no final drain: it would write over the store a human must see
            try:
                await self.outbox.drain()
            finally:
                await self.outbox.close()
            log.info("helpdesk stopped cleanly")

    def tell_broken(self) -> None:
        """Supervisors of an office whose store cannot be read hear it once (outbound.store_alert)."""
        if tell_broken(self.app):
            with self.app.store.lock:
                self.app.store.commit()

    def request_stop(self) -> None:
        log.info("stop requested: finishing the mail in hand")
        self.stop.set()
        if self.waiter is not None:
            self.waiter.wake()
        self._wake_outbox()

    def _mail_taken_in(self, office: str) -> None:
        """Called from a mailbox thread: new tickets may change deadlines, new mail waits to go out."""
        self._wake_outbox()
        if self._loop is not None and self.sla is not None:
            self._loop.call_soon_threadsafe(self.sla.reschedule_offices, {office})

    def _wake_outbox(self) -> None:
        if self._loop is not None and self._outbox_wake is not None:
            self._loop.call_soon_threadsafe(self._outbox_wake.set)

    async def _outbox_loop(self) -> None:
        assert self._outbox_wake is not None
        while not self.stop.is_set():
            await self.outbox.drain()
            nxt = self.outbox.next_attempt()
            timeout = 60.0
            if nxt is not None:
                timeout = max(0.05, min(timeout, (nxt - self.app.clock.now()).total_seconds()))
            try:
                await asyncio.wait_for(self._outbox_wake.wait(), timeout)
            except TimeoutError:
                pass
            self._outbox_wake.clear()

    # -- failures ----------------------------------------------------------------------------------
    def report_failure(self, failed: OutgoingMail) -> None:
        """A mail that can never be delivered is reported to the office's supervisors: at most one
        notice an hour per office (thirty spam senders made thirty notices); the digest lists them all."""
        if failed.purpose in SUPERVISOR_PURPOSES:
            return  # reporting a failed report would only fail again, or loop
        from .outbound.notices import to_staff
        from .outbound.refused import too_big_notice

        if notice := too_big_notice(self.app, failed):
            self.app.store.queue_mail(notice)  # the operator who wrote it can send it smaller
        office = self.app.settings.office(failed.office)
        if not office.supervisors:
            return
        now = self.app.clock.now()
        last = self.app.store.office_meta(office.code).failure_notice
        if last and now - last < FAILURE_NOTICE_EVERY:
            log.info(
                "delivery failure of %s left to the digest: supervisors were told within the hour", failed.message_id
            )
            return
        self.app.store.update_meta(office.code, OfficeMeta(failure_notice=now))
        self.app.store.queue_mail(
            to_staff(
                self.app,
                office,
                office.supervisors,
                "delivery_failure",
                Purpose.DELIVERY_FAILURE,
                self.app.clock.now(),
                mail=failed,
            )
        )
