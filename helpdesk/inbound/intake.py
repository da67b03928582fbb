"""A fetched batch becomes durable work: spool, in-flight record, pipeline, commit (stage 1 -> 2).

The order is the durability promise of DESIGN.md:
  1. raw bytes to the spool (fsync), the batch recorded as in flight with the mailbox's new
     high-water mark: commit;
  2. each mail through the pipeline, its ticket changes and outgoing mail applied together: commit;
  3. only then does the mailbox worker mark the messages processed on the IMAP server.
An in-flight mail left by a crash is processed again from the spool at the next start; one that has
failed three times is quarantined, so a poisonous mail never becomes a crash loop.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from .. import faults, pipeline
from ..app import App
from ..config import Office
from ..errors import StoreCorrupt
from ..model import InboundMail
from ..outbound.compose import FileAttachment
from ..outbound.notices import to_staff
from ..tickets.conversation import match_thread
from .classify import classify
from .parse import minted_id, parse

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 3


@dataclass(frozen=True)
class Fetched:
    uid: int
    raw: bytes
    received_at: datetime     # IMAP INTERNALDATE, timezone-aware


def entry_key(office: str, uidvalidity: int, uid: int) -> str:
    return f"{office}:{uidvalidity}:{uid}"


class Intake:
    """Turns fetched mail into tickets and queued mail; the single writer of the store."""

    def __init__(self, app: App) -> None:
        self.app = app
        self._fetched: dict[str, bytes] = {}     # raw bytes of the batch in hand, as spooled

    def ingest(self, office: Office, uidvalidity: int, batch: list[Fetched]) -> list[int]:
        """Make a batch durable and process it; returns the UIDs that may now be marked processed."""
        store = self.app.store
        with store.lock:
            fresh = [item for item in batch
                     if entry_key(office.code, uidvalidity, item.uid) not in store.inflight]
            # Raw bytes first, all synced in one pass; the commit below refers to them.
            paths = self.app.spool.put_inbound_batch([(i.raw, i.received_at) for i in fresh])
            for item, spool_path in zip(fresh, paths, strict=True):
                self._fetched[spool_path] = item.raw
                store.inflight[entry_key(office.code, uidvalidity, item.uid)] = {
                    "office": office.code, "uidvalidity": uidvalidity, "uid": item.uid,
                    "spool": spool_path, "received_at": item.received_at.isoformat(),
                    "attempts": 0, "last_error": ""}
            state = store.mailboxes.setdefault(office.code, {})
            if state.get("uidvalidity") != uidvalidity:
                state.update(uidvalidity=uidvalidity, last_uid=0)
            state["last_uid"] = max([state.get("last_uid", 0)] + [i.uid for i in batch])
            try:
                handled = self.process_pending(office.code)
            finally:
                self._fetched.clear()
        return [e["uid"] for e in handled if e["uidvalidity"] == uidvalidity]

    def process_pending(self, office: str | None = None) -> list[dict]:
        """Process every in-flight mail (of one office); returns the entries now handled."""
        store = self.app.store
        with store.lock:
            entries = [(k, e) for k, e in store.inflight.items() if office in (None, e["office"])]
            # A crash charged an attempt to every mail of its batch. Leftovers go one at a time, so
            # only the mail that kills the process gathers attempts towards quarantine.
            leftovers = [[item] for item in entries if item[1]["attempts"] > 0]
            fresh = [item for item in entries if item[1]["attempts"] == 0]
            handled = []
            for group in leftovers + ([fresh] if fresh else []):
                handled += self._process_group(group)
        return handled

    def _process_group(self, entries: list[tuple[str, dict]]) -> list[dict]:
        store = self.app.store
        for _, entry in entries:
            entry["attempts"] += 1
        # The attempt is counted durably before it runs, so a mail that kills the process
        # is still counted and set aside after three tries.
        store.commit()
        faults.failpoint("before_process")
        handled = [entry for key, entry in entries if self._process_entry(key, entry)]
        store.commit()
        faults.failpoint("after_ticket_commit")
        return handled

    def _process_entry(self, key: str, entry: dict) -> bool:
        store = self.app.store
        if entry["attempts"] > MAX_ATTEMPTS:
            self._quarantine(key, entry, entry.get("last_error") or "processing stopped the daemon")
            return True
        try:
            self._process(entry)
        except StoreCorrupt:
            raise                 # not this mail's fault: the daemon stops, the mail stays in flight
        except Exception as exc:  # noqa: BLE001 - one bad mail must never stop the others
            error = f"{type(exc).__name__}: {exc}"
            entry["last_error"] = error[:500]
            log.exception("processing %s failed (attempt %d of %d)", key, entry["attempts"], MAX_ATTEMPTS)
            if entry["attempts"] >= MAX_ATTEMPTS:
                self._quarantine(key, entry, error)
                return True
            return False
        store.inflight.pop(key, None)
        return True

    def _process(self, entry: dict) -> None:
        app = self.app
        office = app.settings.office(entry["office"])
        # The bytes just written to the spool are still in memory; a leftover is read back.
        raw = self._fetched.get(entry["spool"]) or app.spool.read(entry["spool"])
        mail = parse(raw, datetime.fromisoformat(entry["received_at"]))
        if self._already_seen(mail, raw):
            log.info("%s already seen (uid %s): one message, one event", mail.message_id, entry["uid"])
            return
        ctx = pipeline.Context(
            app=app, office=office, mail=mail, spool_path=entry["spool"], now=app.clock.now(),
            verdict=classify(mail, own_addresses=app.settings.own_addresses,
                             operators=app.operator_addresses),
            thread=match_thread(mail, app.store.ticket_for_message, self._requester_of))
        pipeline.run(ctx)

    def _already_seen(self, mail: InboundMail, raw: bytes) -> bool:
        """True for a second delivery of a mail already taken in (same Message-ID, same sender)."""
        store = self.app.store
        number = store.ticket_for_message(mail.message_id)
        if number is None:
            return False
        ticket = store.ticket(number)
        first = next((e for e in ticket.events if e.message_id == mail.message_id and e.actor), None) \
            if ticket else None
        if first is None or first.actor.lower() == mail.from_addr.lower():
            return True
        # Some web-form mailers give every mail one Message-ID: another sender means another mail.
        log.warning("%s reused by %s (first seen from %s on %s); taken as a new message",
                    mail.message_id, mail.from_addr or "an unreadable sender", first.actor, number)
        mail.message_id = minted_id(raw)
        return store.ticket_for_message(mail.message_id) is not None

    def _requester_of(self, number: str) -> str | None:
        ticket = self.app.store.ticket(number)
        return ticket.requester if ticket else None

    def _quarantine(self, key: str, entry: dict, reason: str) -> None:
        """Set a mail aside for a human, tell the supervisors, and let the rest go on."""
        app, store = self.app, self.app.store
        store.inflight.pop(key, None)
        raw = app.spool.read(entry["spool"])
        copy = app.spool.put_quarantine(key, raw)
        store.quarantine[key] = dict(entry, reason=reason[:500], copy=copy,
                                     quarantined_at=app.clock.now().isoformat())
        log.error("quarantined %s after %d attempts: %s (copy in spool/%s)", key, entry["attempts"],
                  reason, copy)
        office = app.settings.office(entry["office"])
        if not office.supervisors:
            return
        try:
            mail = parse(raw, datetime.fromisoformat(entry["received_at"]))
            sender, subject = mail.from_addr, mail.subject
        except Exception:  # noqa: BLE001 - the notice must go out even when nothing parses
            sender, subject = "", ""
        # The office's own clock: the server's INTERNALDATE is often UTC, a day off in the morning.
        received = datetime.fromisoformat(entry["received_at"]).astimezone(office.tz)
        store.queue_mail(to_staff(
            app, office, office.supervisors, "quarantine", "quarantine_notice", app.clock.now(),
            attachments=[FileAttachment("karantina.eml", "application/octet-stream", raw)]
            if len(raw) < 5_000_000 else [],
            attempts=entry["attempts"], sender=sender, subject=subject, reason=reason[:300],
            spool=copy, received_text=f"{received:%Y-%m-%d %H:%M} {office.zone_label}"))
