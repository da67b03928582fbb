"""A fetched batch becomes durable work: spool, in-flight record, pipeline, commit (stage 1 -> 2).

The order is the durability promise of DESIGN.md:
  1. raw bytes to the spool (fsync), the batch recorded as in flight with the mailbox's new
     high-water mark: commit;
  2. each mail through the pipeline, its ticket changes and outgoing mail applied together: commit;
  3. only then does the mailbox worker mark the messages processed on the IMAP server.
An in-flight mail left by a crash is processed again from the spool at the next start; one that has
failed three times is quarantined, so a poisonous mail never becomes a crash loop.

What reads and answers a mail (parse, classify, the pipeline's steps, the mail builders) is imported
at the first mail, not with the daemon: its warm-up thread loads them while the mailboxes log in
(daemon.warm_up), so the daemon starts sooner and the first mail does not wait for them either.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from .. import faults
from ..app import App
from ..config import Office
from ..errors import LocalFault, StoreCorrupt
from ..kinds import Purpose
from ..model import InboundMail
from ..outbound.disk_alert import DiskAlert
from ..tickets.conversation import match_thread
from ..tickets.records import InflightEntry, NotTicketed, entry_key

log = logging.getLogger(__name__)
T = TypeVar("T")
MAX_ATTEMPTS = 3


@dataclass(frozen=True)
class Fetched:
    uid: int
    raw: bytes
    received_at: datetime  # IMAP INTERNALDATE, timezone-aware


class Intake:
    """Turns fetched mail into tickets and queued mail; the single writer of the store.

    Reading a mail (parse, HTML to text, bounce detectors) happens outside the store's lock and
    within `helpdesk.mail_seconds`: a hostile mail in one mailbox never holds the others, the
    outbox or the sweeps. A store or spool that cannot be written (LocalFault) is not the mail's
    fault: the attempt is given back, the mail stays in flight, and the caller pauses."""

    def __init__(self, app: App) -> None:
        self.app = app
        self._fetched: dict[str, bytes] = {}  # raw bytes of the batches in hand, as spooled
        self._in_hand: set[str] = set()  # in-flight keys a thread is processing now
        self.alert = DiskAlert(app)

    def ingest(self, office: Office, uidvalidity: int, batch: list[Fetched]) -> list[int]:
        """Make a batch durable and process it; returns the UIDs that may now be marked processed."""
        store = self.app.store
        with store.lock:
            fresh = [
                item
                for item in batch
                if store.in_flight_entry(office.code, entry_key(office.code, uidvalidity, item.uid)) is None
            ]
            # Raw bytes first, all synced in one pass; the commit below refers to them.
            try:
                paths = self.app.spool.put_inbound_batch([(i.raw, i.received_at) for i in fresh])
            except LocalFault as exc:
                # Nothing recorded, the high-water mark unmoved: the batch is fetched again later.
                store.faulted(exc)
                paths = None
            if paths is not None:
                self._record_batch(office, uidvalidity, batch, fresh, paths)
        if paths is None:
            self.alert.paused(store.fault)  # outside the lock: it talks to the SMTP server
            raise LocalFault.again(store.fault)
        try:
            handled = self.process_pending(office.code)
        finally:
            with store.lock:
                for path in paths:
                    self._fetched.pop(path, None)
        return [e.uid for e in handled if e.uidvalidity == uidvalidity]

    def _record_batch(
        self, office: Office, uidvalidity: int, batch: list[Fetched], fresh: list[Fetched], paths: list[str]
    ) -> None:
        store = self.app.store
        for item, spool_path in zip(fresh, paths, strict=True):
            self._fetched[spool_path] = item.raw
            store.put_in_flight(InflightEntry(office.code, uidvalidity, item.uid, spool_path, item.received_at))
        store.advance_mailbox(office.code, uidvalidity, [i.uid for i in batch])

    def process_pending(self, office: str | None = None) -> list[InflightEntry]:
        """Process every in-flight mail (of one office); returns the entries now handled."""
        store = self.app.store
        with store.lock:
            entries = [(e.key, e) for e in store.in_flight(office) if e.key not in self._in_hand]
            # A crash charged an attempt to every mail of its batch. Leftovers go one at a time, so
            # only the mail that kills the process gathers attempts towards quarantine.
            leftovers = [[item] for item in entries if item[1].attempts > 0]
            fresh = [item for item in entries if item[1].attempts == 0]
            self._in_hand.update(k for k, _ in entries)
        handled: list[InflightEntry] = []
        try:
            for group in leftovers + ([fresh] if fresh else []):
                handled += self._process_group(group)
        finally:
            with store.lock:
                self._in_hand.difference_update(k for k, _ in entries)
        return handled

    def _process_group(self, entries: list[tuple[str, InflightEntry]]) -> list[InflightEntry]:
        store = self.app.store
        handled: list[tuple[str, InflightEntry]] = []
        try:
            with store.lock:
                for _, entry in entries:
                    entry.attempts += 1
                    store.put_in_flight(entry)
                # The attempt is counted durably before it runs, so a mail that kills the process
                # is still counted and set aside after three tries.
                staged = store.stage()
            staged.wait()  # outside the lock, as below: the outbox goes on meanwhile
            faults.failpoint("before_process")
            for key, entry in entries:
                # Read outside the lock: the other mailboxes, the outbox and the sweeps go on.
                read = self._read(entry) if entry.attempts <= MAX_ATTEMPTS else None
                with store.lock:
                    if self._process_entry(key, entry, read):
                        handled.append((key, entry))
            with store.lock:
                staged = store.stage()
            staged.wait()
        except LocalFault:
            with store.lock:
                self._give_back(entries, handled)
            self.alert.paused(store.fault)
            raise
        faults.failpoint("after_ticket_commit")
        self.alert.resumed()
        return [entry for _, entry in handled]

    def _give_back(self, entries: list[tuple[str, InflightEntry]], handled: list[tuple[str, InflightEntry]]) -> None:
        """The disk refused: nothing is charged and every mail stays in flight, so none is marked
        processed on the server before it is stored (a ticket made in memory is found again by
        its Message-ID when the mail is processed again, and stored by the next commit)."""
        store = self.app.store
        for _, entry in entries:
            entry.attempts = max(0, entry.attempts - 1)
            if store.in_flight_entry(entry.office, entry.key) is not None:
                store.put_in_flight(entry)
        for key, entry in handled:
            if store.in_flight_entry(entry.office, key) is None:
                store.put_in_flight(entry)

    def _read(self, entry: InflightEntry) -> InboundMail | Exception:
        """The raw mail parsed within the time budget, or why it could not be read."""
        try:
            # The bytes just written to the spool are still in memory; a leftover is read back.
            from .parse import parse

            raw = self._fetched.get(entry.spool) or self.app.spool.read(entry.spool)
            started = time.monotonic()
            mail = parse(raw, entry.received_at, self.app.settings.mail_seconds)
        except Exception as exc:  # noqa: BLE001 - a missing spool file is this mail's failure
            return exc
        if mail.incomplete:
            log.warning(
                "%s: %s after %.1f s; the ticket is made from what was read, the whole mail stays in the spool",
                mail.message_id,
                mail.incomplete,
                time.monotonic() - started,
            )
        return mail

    def _process_entry(self, key: str, entry: InflightEntry, read: InboundMail | Exception | None) -> bool:
        store = self.app.store
        if entry.attempts > MAX_ATTEMPTS or read is None:
            self._quarantine(key, entry, entry.last_error or "processing stopped the daemon")
            return True
        try:
            if isinstance(read, Exception):
                raise read
            self._process(entry, read)
        except (StoreCorrupt, LocalFault):
            raise  # not this mail's fault: the daemon stops or pauses, the mail stays in flight
        except Exception as exc:  # noqa: BLE001 - one bad mail must never stop the others
            error = f"{type(exc).__name__}: {exc}"
            entry.last_error = error[:500]
            store.put_in_flight(entry)
            log.error("processing %s failed (attempt %d of %d)", key, entry.attempts, MAX_ATTEMPTS, exc_info=exc)
            if entry.attempts >= MAX_ATTEMPTS:
                self._quarantine(key, entry, error)
                return True
            return False
        store.done_in_flight(entry)
        return True

    def _process(self, entry: InflightEntry, mail: InboundMail) -> None:
        app = self.app
        office = app.settings.office(entry.office)
        if self._already_seen(mail, lambda: self._raw(entry)):
            log.info("%s already seen (uid %s): one message, one event", mail.message_id, entry.uid)
            self._not_ticketed(entry, mail, "duplicate", "already taken in")
            return
        from .. import pipeline  # first: see the module's docstring
        from ..step import Context
        from .classify import classify

        ctx = Context(
            app=app,
            office=office,
            mail=mail,
            spool_path=entry.spool,
            now=app.clock.now(),
            verdict=classify(mail, own_addresses=app.settings.own_addresses, operators=app.operator_addresses),
            thread=match_thread(mail, app.store.ticket_for_message, self._requester_of),
        )
        pipeline.run(ctx)
        if ctx.not_ticketed:
            self._not_ticketed(entry, mail, ctx.not_ticketed, ctx.verdict.reason)

    def _not_ticketed(self, entry: InflightEntry, mail: InboundMail, reason: str, detail: str) -> None:
        """Counted by reason and listed (`helpdesk mails --not-ticketed`), so a mail a rule misjudged
        can be found and pulled in (`helpdesk ticket-from KEY`)."""
        self.app.store.note_not_ticketed(
            NotTicketed(
                key=entry.key,
                office=entry.office,
                received_at=entry.received_at,
                spool=entry.spool,
                sender=mail.from_addr,
                subject=mail.subject[:120],
                message_id=mail.message_id,
                reason=reason,
                detail=detail[:200],
            )
        )

    def _raw(self, entry: InflightEntry) -> bytes:
        return self._fetched.get(entry.spool) or self.app.spool.read(entry.spool)

    def _already_seen(self, mail: InboundMail, raw: Callable[[], bytes]) -> bool:
        """True for a second delivery of a mail already taken in (same Message-ID, same sender)."""
        store = self.app.store
        number = store.ticket_for_message(mail.message_id)
        if number is None:
            return False
        ticket = store.ticket(number)
        first = (
            next((e for e in ticket.events if e.message_id == mail.message_id and e.actor), None) if ticket else None
        )
        if first is None or first.actor.lower() == mail.from_addr.lower():
            return True
        # Some web-form mailers give every mail one Message-ID: another sender means another mail.
        log.warning(
            "%s reused by %s (first seen from %s on %s); taken as a new message",
            mail.message_id,
            mail.from_addr or "an unreadable sender",
            first.actor,
            number,
        )
        from .parse import minted_id

        mail.message_id = minted_id(raw())
        return store.ticket_for_message(mail.message_id) is not None

    def _requester_of(self, number: str) -> str | None:
        ticket = self.app.store.ticket(number)
        return ticket.requester if ticket else None

    def _quarantine(self, key: str, entry: InflightEntry, reason: str) -> None:
        """Set a mail aside for a human, tell the supervisors, and let the rest go on."""
        app, store = self.app, self.app.store
        raw = app.spool.read(entry.spool)
        copy = app.spool.put_quarantine(key, raw)
        store.set_aside(entry, reason[:500], copy, app.clock.now())
        log.error("quarantined %s after %d attempts: %s (copy in spool/%s)", key, entry.attempts, reason, copy)
        office = app.settings.office(entry.office)
        if not office.supervisors:
            return
        from ..outbound.compose import FileAttachment
        from ..outbound.notices import to_staff
        from .parse import parse_headers

        # Headers only: the body may be what made the mail fail, and this runs under the lock.
        mail = parse_headers(raw, entry.received_at)
        sender, subject = mail.from_addr, mail.subject
        # The office's own clock: the server's INTERNALDATE is often UTC, a day off in the morning.
        received = entry.received_at.astimezone(office.tz)
        store.queue_mail(
            to_staff(
                app,
                office,
                office.supervisors,
                "quarantine",
                Purpose.QUARANTINE_NOTICE,
                app.clock.now(),
                attachments=[FileAttachment("karantina.eml", "application/octet-stream", raw)]
                if len(raw) < 5_000_000
                else [],
                attempts=entry.attempts,
                sender=sender,
                subject=subject,
                reason=reason[:300],
                spool=copy,
                received_text=f"{received:%Y-%m-%d %H:%M} {office.zone_label}",
            )
        )
