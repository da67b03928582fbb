"""The single source of truth, one store per office behind one interface (stage 2).

Layout under `<data_dir>/store/`:
  <code>/hot.json      one office's open tickets, outbox, mailbox state, in-flight mail,
                       quarantine, counters: a TinyDB database (tickets.office)
  <code>/archive/      its closed tickets by closing month (tickets.archive)
  daemon.json          mail of no working office; broken stores already reported (tickets.notices)
  sent.journal         what the SMTP server accepted (outbound.journal)

Offices share nothing, so each call goes to the office its argument names: an office code, a
record carrying one, a ticket number (PST-<office>-...) or an in-flight key (<office>:...).
Changes are made in memory and become durable together at `commit()`, which writes each office a
change touched once (a mail touches one office: one synced write). An office whose file cannot be
read is left out and listed in `broken`: nothing reads its mailbox, nothing writes over its file,
and the other offices go on. A data directory of the one-file layout is migrated at the first
start (tickets.migrate).
"""

from __future__ import annotations

import itertools
import logging
import threading
from collections import Counter
from collections.abc import Iterable, Iterator
from datetime import date, datetime
from pathlib import Path

from .. import runlock
from ..errors import LocalFault, StoreCorrupt
from ..model import OutgoingMail, Status, Ticket
from .notices import DaemonStore
from .numbering import format_number
from .office import OfficeStore
from .officemeta import OfficeMeta
from .records import InflightEntry, MailboxState, NotTicketed, QuarantineEntry, office_of_key
from .spool import Spool

log = logging.getLogger(__name__)
CHANGES_KEPT = 10_000  # change-log entries kept beyond one per open ticket


def office_of_number(number: str) -> str:
    """PST-3576-2026-000123 -> 3576."""
    parts = number.split("-")
    return parts[1] if len(parts) == 4 else ""


class Store:
    """Every configured office's store in memory, written durably by `commit()`; one writer at a time.

    `offices` names the offices to open now (the settings' list); without it every office folder
    found is opened. An office not opened yet is opened (or started) when a call names it."""

    def __init__(self, data_dir: Path, offices: Iterable[str] | None = None, today: date | None = None) -> None:
        self.dir = Path(data_dir) / "store"
        self.lock = threading.RLock()
        self.spool = Spool(self.dir.parent)  # <data_dir>/spool beside <data_dir>/store
        self.fault = ""  # "data disk full" while commits fail for want of a writable disk
        self._migrate(today or date.today())
        self.notices = DaemonStore(self.dir)
        self._offices: dict[str, OfficeStore] = {}
        self.broken: dict[str, str] = {}  # office -> why its store cannot be read
        self._seen: dict[str, str] = {}  # Message-ID -> "" of mail taken in that made no ticket
        self._touched: set[str] = set()  # offices changed (or handed out) since the last commit
        # Change log of the open tickets for caches (Store.hot_changes): number -> revision of its
        # last save or departure, oldest first; entries beyond what caches need are forgotten.
        self._revision = 0
        self._forgotten = 0
        self._changes: dict[str, int] = {}
        # Commits write in the order they were staged: `_staged` counts the staged ones (under
        # the lock), `_turns` says which is written (a condition of its own, never the lock).
        self._staged = 0
        self._turns = Turns()
        for code in offices if offices is not None else self._found():
            self._open(code)

    def _migrate(self, today: date) -> None:
        """The one-file layout is migrated by the one process working on the data directory."""
        if not (self.dir / "hot.json").exists() and not (self.dir / "migrating").exists():
            return
        from .migrate import migrate  # once per data directory: not with every start

        data_dir = self.dir.parent
        if data_dir.resolve() in runlock.HELD:
            migrate(self.dir, today)
            return
        try:
            with runlock.single_instance(data_dir):
                migrate(self.dir, today)
        except runlock.AlreadyRunning as exc:
            raise StoreCorrupt(
                f"{self.dir / 'hot.json'}: the one-file layout, in use by a helpdesk of an older version ({exc}); "
                "stop it, then start `helpdesk run` once to move the store to one store per office"
            ) from None

    def _found(self) -> list[str]:
        if not self.dir.is_dir():
            return []
        return sorted(p.parent.name for p in self.dir.glob("*/hot.json") if not p.parent.name.startswith("migrat"))

    def _open(self, code: str) -> OfficeStore | None:
        try:
            office = self._offices[code] = OfficeStore(self.dir / code, code, self.spool)
        except StoreCorrupt as exc:
            self.broken[code] = str(exc)
            log.critical("office %s stopped: its store cannot be read: %s; the other offices go on", code, exc)
            return None
        self.broken.pop(code, None)
        return office

    def _office(self, code: str) -> OfficeStore:
        """The store of an office, for a change: opened or started on first use."""
        office = self._offices.get(code)
        if office is None:
            if code in self.broken or not code or "/" in code or code.startswith("."):
                raise StoreCorrupt(f"office {code}: {self.broken.get(code, 'no such office store')}")
            office = self._open(code)
            if office is None:
                raise StoreCorrupt(f"office {code}: {self.broken[code]}")
        self._touched.add(code)
        return office

    def _reading(self, office: str | None) -> list[OfficeStore]:
        """The offices a read looks at: one (if its store is working) or all of them."""
        if office is None:
            return list(self._offices.values())
        found = self._offices.get(office)
        return [found] if found is not None else []

    def offices(self) -> list[str]:
        """The codes of the offices whose stores are open and working."""
        return list(self._offices)

    def broken_file(self, code: str) -> Path:
        """The hot file of an office (the one to repair when the office is in `broken`)."""
        return self.dir / code / "hot.json"

    # -- tickets ---------------------------------------------------------------------------------
    def save_ticket(self, ticket: Ticket) -> None:
        """Stage a ticket (new or changed); closed tickets move to the month's archive at commit."""
        with self.lock:
            self._office(ticket.office).save_ticket(ticket)
            self._changed(ticket.number)

    def ticket(self, number: str) -> Ticket | None:
        """A ticket by number, hot or archived (an archived one is read from its month file)."""
        with self.lock:
            office = self._offices.get(office_of_number(number))
            return office.ticket(number) if office is not None else None

    def hot_ticket(self, number: str) -> Ticket | None:
        """A ticket of the hot set (open, or closed since the last commit); never reads the archive."""
        office = self._offices.get(office_of_number(number))
        return office.tickets.get(number) if office is not None else None

    def hot_tickets(self, office: str | None = None) -> list[Ticket]:
        """The hot set's tickets (of one office), closed ones not yet archived included."""
        with self.lock:
            return [t for o in self._reading(office) for t in o.tickets.values()]

    def open_tickets(self, office: str | None = None) -> list[Ticket]:
        """The tickets not closed (of one office)."""
        with self.lock:
            return [t for o in self._reading(office) for t in o.tickets.values() if t.status is not Status.CLOSED]

    def all_tickets(self) -> Iterator[Ticket]:
        """Every ticket, hot then archived (reads the archive files: for reports and exports)."""
        for office in self._reading(None):
            with self.lock:
                tickets = list(office.all_tickets())
            yield from tickets

    def unarchive(self, number: str) -> Ticket | None:
        """Bring a closed ticket back to the hot file (a citizen wrote again); staged until commit."""
        with self.lock:
            code = office_of_number(number)
            if code not in self._offices:
                return None
            ticket = self._office(code).unarchive(number)
            if ticket is not None:
                self._changed(number)
            return ticket

    def next_number(self, office: str, year: int) -> str:
        """The next ticket number of an office and year; a number once handed out is never reused."""
        with self.lock:
            return format_number(office, year, self._office(office).next_number(year))

    def ticket_for_message(self, message_id: str) -> str | None:
        """The number of the ticket a Message-ID belongs to (hot or archived, in or out), if any."""
        for office in self._offices.values():
            if (number := office.messages.get(message_id)) is not None:
                return number
        return self._seen.get(message_id)

    def index_message(self, message_id: str, number: str) -> None:
        """Remember which ticket a Message-ID belongs to; "" for a mail taken in without one (kept
        in memory only, as before: a restart finds it again in its in-flight or not-ticketed record)."""
        with self.lock:
            if number:
                self._office(office_of_number(number)).messages[message_id] = number
            else:
                self._seen[message_id] = number

    def _changed(self, number: str) -> None:
        self._revision += 1
        self._changes.pop(number, None)
        self._changes[number] = self._revision
        if len(self._changes) > CHANGES_KEPT and len(self._changes) > CHANGES_KEPT + sum(
            len(o.tickets) for o in self._offices.values()
        ):
            for old in list(itertools.islice(self._changes, CHANGES_KEPT)):
                self._forgotten = self._changes.pop(old)

    def hot_changes(self, since: int) -> tuple[int, list[str] | None]:
        """(revision now, numbers of the tickets saved or gone from the hot set after revision
        `since`, newest first), for caches derived from the open tickets; None instead of the
        numbers when `since` is older than the store remembers: look at every ticket again."""
        with self.lock:
            if since < self._forgotten:
                return self._revision, None
            numbers = []
            for number, revision in reversed(self._changes.items()):
                if revision <= since:
                    break
                numbers.append(number)
            return self._revision, numbers

    @property
    def archive_generation(self) -> int:
        """Bumped by every archive write of this store (caches of archived tickets look again)."""
        return sum(o.archive.generation for o in self._offices.values())

    def archive_dirs(self, office: str | None = None) -> list[Path]:
        """The archive folders of one office or of all, for caches that read the month files."""
        return [o.archive.dir for o in self._reading(office)]

    # -- outbox ----------------------------------------------------------------------------------
    def queue_mail(self, mail: OutgoingMail) -> None:
        """Put a mail in the outbox (its office is mail.office); staged until commit."""
        with self.lock:
            if mail.office in self.broken:
                self.notices.outbox[mail.message_id] = mail  # its office cannot hold it
                return
            self._office(mail.office).queue_mail(mail)

    def outgoing(
        self, office: str | None = None, states: Iterable[str] | None = None, ticket: str | None = None
    ) -> list[OutgoingMail]:
        """The outbox's mail (of one office, in these states, of one ticket), oldest first; the
        outbox changes their state in place, and a commit finds which (OfficeStore.outbox_changed)."""
        wanted = None if states is None else set(states)
        with self.lock:
            found = [
                m
                for o in self._reading(office)
                for m in o.outbox.values()
                if (wanted is None or m.status in wanted) and ticket in (None, m.ticket)
            ]
            found += [
                m
                for m in self.notices.outbox.values()
                if office in (None, m.office) and (wanted is None or m.status in wanted) and ticket in (None, m.ticket)
            ]
            return found

    def written(self, mail: OutgoingMail) -> bool:
        """Whether a commit has written this queued mail (false while the change that queued it is
        still staged: the intake's batch in the making)."""
        with self.lock:
            if mail.message_id in self.notices.outbox:
                return True
            office = self._offices.get(mail.office)
            return office is not None and office.written(mail.message_id)

    def remove_mail(self, mail: OutgoingMail) -> None:
        """A mail leaves the outbox (it was sent); staged until commit."""
        with self.lock:
            if self.notices.outbox.pop(mail.message_id, None) is None:
                self._office(mail.office).outbox.pop(mail.message_id, None)

    # -- mail in flight, quarantined, not ticketed -----------------------------------------------
    def in_flight(self, office: str | None = None) -> list[InflightEntry]:
        """Fetched mail not yet processed (of one office), oldest first."""
        with self.lock:
            return [e for o in self._reading(office) for e in o.inflight.values()]

    def in_flight_entry(self, office: str, key: str) -> InflightEntry | None:
        """The in-flight entry of a fetched mail of `office` (key: records.entry_key), if any."""
        found = self._offices.get(office)
        return found.inflight.get(key) if found is not None else None

    def put_in_flight(self, entry: InflightEntry) -> None:
        """Record a fetched mail (or its changed attempts) as in flight; staged until commit."""
        with self.lock:
            self._office(entry.office).inflight[entry.key] = entry

    def done_in_flight(self, entry: InflightEntry) -> None:
        """A mail in flight was processed: it leaves the in-flight list; staged until commit."""
        with self.lock:
            self._office(entry.office).inflight.pop(entry.key, None)

    def set_aside(self, entry: InflightEntry, reason: str, copy: str, at: datetime) -> QuarantineEntry:
        """Move a mail from in flight to quarantine, with why and where its copy is."""
        with self.lock:
            office = self._office(entry.office)
            office.inflight.pop(entry.key, None)
            office.quarantine[entry.key] = kept = QuarantineEntry.of(entry, reason, copy, at)
            return kept

    def quarantined(self, office: str | None = None) -> list[QuarantineEntry]:
        """Quarantined mail (of one office), in the order it was set aside."""
        with self.lock:
            return [e for o in self._reading(office) for e in o.quarantine.values()]

    def quarantined_entry(self, key: str) -> QuarantineEntry | None:
        """A quarantined mail by its key (which names its office: records.office_of_key)."""
        found = self._offices.get(office_of_key(key))
        return found.quarantine.get(key) if found is not None else None

    def drop_quarantined(self, entry: QuarantineEntry) -> None:
        """Take a mail off the quarantine list (its copy stays in the spool); staged until commit."""
        with self.lock:
            self._office(entry.office).quarantine.pop(entry.key, None)

    def retry_quarantined(self, entry: QuarantineEntry) -> InflightEntry:
        """Put a quarantined mail back in flight with fresh attempts; staged until commit."""
        with self.lock:
            office = self._office(entry.office)
            office.quarantine.pop(entry.key, None)
            office.inflight[entry.key] = again = entry.in_flight()
            return again

    def note_not_ticketed(self, record: NotTicketed) -> None:
        """Remember a mail that became no ticket (robot, duplicate, loop, list), newest last; only
        the last NOT_TICKETED_KEPT of each office stay in its hot file (the spool keeps every mail)."""
        with self.lock:
            self._office(record.office).note_not_ticketed(record)

    def not_ticketed_mails(self, office: str | None = None, since: datetime | None = None) -> list[NotTicketed]:
        """The mails remembered without a ticket (of one office, received since), oldest first."""
        with self.lock:
            return [
                r
                for o in self._reading(office)
                for r in o.not_ticketed.values()
                if since is None or r.received_at >= since
            ]

    def not_ticketed_mail(self, key: str) -> NotTicketed | None:
        """A mail remembered without a ticket, by its key (which names its office)."""
        found = self._offices.get(office_of_key(key))
        return found.not_ticketed.get(key) if found is not None else None

    def forget_not_ticketed(self, record: NotTicketed) -> None:
        """Take a mail off the not-ticketed list (it was pulled in); staged until commit."""
        with self.lock:
            self._office(record.office).not_ticketed.pop(record.key, None)

    def not_ticketed_by_reason(self, office: str | None = None, since: datetime | None = None) -> str:
        """ "3 bounce, 1 duplicate": the mails remembered without a ticket, counted by why."""
        counts = Counter(r.reason for r in self.not_ticketed_mails(office, since))
        return ", ".join(f"{n} {reason}" for reason, n in counts.most_common())

    # -- mailbox state and meta ------------------------------------------------------------------
    def mailbox_state(self, office: str) -> MailboxState:
        """How far the office's mailbox has been read (a copy; nothing read yet: last_uid 0)."""
        with self.lock:
            found = self._offices.get(office)
            state = found.mailbox if found is not None else MailboxState(office)
            return MailboxState(office, state.uidvalidity, state.last_uid)

    def advance_mailbox(self, office: str, uidvalidity: int, uids: list[int]) -> None:
        """The office's mailbox was read up to these UIDs of this UIDVALIDITY; staged until commit."""
        with self.lock:
            store = self._office(office)
            store.mailbox = store.mailbox.advanced(uidvalidity, uids)

    def office_meta(self, office: str) -> OfficeMeta:
        """The office's counters, rate-limit counts, round-robin picks and periodic-mail dates; read
        only (change them with `update_meta`)."""
        with self.lock:
            found = self._offices.get(office)
            return found.meta if found is not None else OfficeMeta()

    def rate_count(self, office: str, key: str) -> int:
        """How many mails the office counted under a rate-limit key (tickets.ratelimit)."""
        found = self._offices.get(office)
        return found.meta.ratelimit.get(key, 0) if found is not None else 0

    def update_meta(self, office: str, changes: OfficeMeta) -> None:
        """Apply changes to the office's meta (mappings update, set dates replace); staged until commit."""
        with self.lock:
            self._office(office).update_meta(changes)

    # -- commit ----------------------------------------------------------------------------------
    def commit(self) -> None:
        """Make every staged change durable: one atomic write for each office changed (plus one
        per archive month touched). Holding the lock or not."""
        self.stage().wait()

    def stage(self) -> Staged:
        """Make the new text of every office changed, under the lock, for `Staged.wait()` to write
        after the caller let the lock go: the intake makes the next tickets, and the outbox
        records what was sent, while the other's megabytes go to the disk. Whoever stages must
        wait (writes go in the order staged), and nothing between the two may fail or block:

            with store.lock:
                ...changes...
                staged = store.stage()
            staged.wait()

        An office that takes mail out of flight is written last, so a crash between two writes
        leaves that mail in flight, processed again and deduplicated."""
        with self.lock:
            touched = self._touched
            touched.update(
                c
                for c, o in self._offices.items()
                if c not in touched and (o.unwritten or (o.outbox and o.outbox_changed()))
            )
            offices = [self._offices[c] for c in sorted(self._touched) if c in self._offices]
            offices.sort(key=OfficeStore.releases_inflight)
            writes: list[tuple[OfficeStore, list[bytes]]] = []
            try:
                for office in offices:
                    moved, text = office.stage()
                    for number in moved:
                        self._changed(number)
                    self._touched.discard(office.code)
                    if text is not None:
                        writes.append((office, text))
                self.notices.commit()
            except LocalFault as exc:
                self.faulted(exc)
                raise
            self._staged += 1
            return Staged(self, self._staged, writes)

    def _written(self, exc: LocalFault | None) -> None:
        """Called by each Staged as its writes end, in turn (the store's lock is not needed)."""
        if exc is not None:
            self.faulted(exc)
        elif self.fault:
            log.warning("%s no more: the store is written again; intake resumes", self.fault)
            self.fault = ""

    def faulted(self, exc: LocalFault) -> None:
        """Said once per episode: every mailbox and the outbox meet the same fault until it ends."""
        if not self.fault:
            log.error(
                "%s (%s): intake paused, no mail is charged for it; retrying until the store can be written",
                exc.what,
                exc,
            )
        self.fault = exc.what


class Turns:
    """Writes one after another in the order of their numbers (1, 2, 3...)."""

    def __init__(self) -> None:
        self.done = 0  # every turn up to this one has ended
        self.ended: set[int] = set()  # turns ended out of order, waiting for those before them
        self.changed = threading.Condition()

    def wait_for(self, turn: int) -> None:
        with self.changed:
            self.changed.wait_for(lambda: self.done >= turn - 1)

    def end(self, turn: int) -> None:
        with self.changed:
            self.ended.add(turn)
            while self.done + 1 in self.ended:
                self.done += 1
                self.ended.discard(self.done)
            self.changed.notify_all()


class Staged:
    """A commit made under the lock, written by `wait()`: durable when `wait()` returns."""

    def __init__(self, store: Store, turn: int, writes: list[tuple[OfficeStore, list[bytes]]]) -> None:
        self.store, self.turn, self.writes = store, turn, writes
        self.waited = False

    def wait(self) -> None:
        """Write each office's text once the commits staged before this one are written (a newer
        text never goes under an older one). Raises LocalFault when the disk refused; the office
        is then written again by the next commit, whether or not it changes anything."""
        turns = self.store._turns  # noqa: SLF001 - the Store's own helper
        self.waited = True
        written = 0
        try:
            turns.wait_for(self.turn)
            for office, text in self.writes:
                office.write(text)
                written += 1
        except LocalFault as exc:
            self.store._written(exc)  # noqa: SLF001
            raise
        finally:
            for office, _ in self.writes[written:]:
                office.unwritten = True
            turns.end(self.turn)
        self.store._written(None)  # noqa: SLF001

    def __del__(self) -> None:
        # Dropped without a wait (an exception between stage() and wait()): the commits staged
        # after it must not wait for it forever, and the next commit writes its offices.
        if not self.waited:
            for office, _ in self.writes:
                office.unwritten = True
            self.store._turns.end(self.turn)  # noqa: SLF001
