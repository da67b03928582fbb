"""The single source of truth: open tickets, outbox, mailbox state, all committed together (stage 2).

Layout under `<data_dir>/store/`:
  hot.json             open tickets, outbox, mailbox high-water marks, in-flight mails, quarantine,
                       counters; a TinyDB-format file rewritten atomically once per commit
  archive/YYYY-MM.json closed tickets by closing month (TinyDB format, written atomically)
  archive/YYYY-MM.ids  that month's ticket numbers and Message-IDs, with the (inode, size, mtime)
                       of the month file they were read from: a derived index, so that a start
                       reads a few MB of ids instead of every archived ticket. An index that is
                       missing, unreadable or does not match its month file is rebuilt from it.

Only open tickets live in the hot file, so the cost of a commit does not grow with history; the
per-sender acknowledgement counts in it are kept for the last two days only.
Changes are made in memory and become durable together at `commit()`: a ticket and the mail it
causes are never stored apart.
"""

from __future__ import annotations

import itertools
import json
import logging
import threading
from collections import Counter
from collections.abc import Iterable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

from ..errors import LocalFault, StoreCorrupt
from ..kinds import MailState
from ..model import OutgoingMail, Status, Ticket
from . import officemeta, ratelimit
from .atomic import read_json, write_atomic
from .numbering import format_number
from .officemeta import OfficeMeta
from .records import InflightEntry, MailboxState, NotTicketed, QuarantineEntry
from .spool import Spool

log = logging.getLogger(__name__)
CHANGES_KEPT = 10_000  # change-log entries kept beyond one per open ticket
OUTBOX_TEXT_INLINE = 256 * 1024  # characters of a queued mail's text kept in the hot file itself
NOT_TICKETED_KEPT = 1_000  # mails without a ticket remembered for `helpdesk mails --not-ticketed`


def _dumps(doc: Any) -> str:
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":"))


def _outbox_signature(mail: OutgoingMail) -> tuple:
    """What the outbox changes on a queued mail; the rest (the raw text above all) never changes."""
    return (
        mail.status,
        mail.attempts,
        mail.next_attempt_at,
        mail.sent_at,
        mail.last_error,
        tuple(mail.recipients),
        mail.spool,
    )


class Store:
    """Open tickets and queues in memory, written durably by `commit()`; one writer at a time."""

    def __init__(self, data_dir: Path) -> None:
        self.dir = Path(data_dir) / "store"
        self.hot_path = self.dir / "hot.json"
        self.archive_dir = self.dir / "archive"
        self.lock = threading.RLock()
        self._tickets: dict[str, Ticket] = {}
        self._outbox: dict[str, OutgoingMail] = {}
        self._mailboxes: dict[str, MailboxState] = {}  # office -> how far its mailbox is read
        self._inflight: dict[str, InflightEntry] = {}  # entry_key -> fetched mail not yet processed
        self._quarantine: dict[str, QuarantineEntry] = {}
        self._not_ticketed: dict[str, NotTicketed] = {}  # entry_key -> mail that made no ticket, why
        self._meta: dict[str, OfficeMeta] = {}  # office -> its counters, rate-limit counts...
        self._ticket_json: dict[str, bytes] = {}  # serialised form of unchanged tickets
        self._outbox_json: dict[str, tuple[tuple, bytes]] = {}  # message id -> (signature, JSON)
        self._dirty: set[str] = set()
        self._to_archive: dict[str, Ticket] = {}
        self._msgindex: dict[str, str] = {}  # Message-ID -> ticket number (hot and archived)
        self._archived: dict[str, str] = {}  # ticket number -> archive month file name
        self.archive_generation = 0  # bumped by every archive write of this store
        # Change log of the hot set for caches (Store.hot_changes): number -> revision of its last
        # save or departure, oldest first; entries beyond what caches need are forgotten.
        self._revision = 0
        self._forgotten = 0
        self._changes: dict[str, int] = {}
        self.fault = ""  # "data disk full" while commits fail for want of a writable disk
        self.spool = Spool(self.dir.parent)  # <data_dir>/spool beside <data_dir>/store
        self._load()

    # -- loading ---------------------------------------------------------------------------------
    def _load(self) -> None:
        data = read_json(self.hot_path)
        if data is not None and (not isinstance(data, dict) or "1" not in data.get("meta", {})):
            # Every commit writes the counters: a file without them is not ours, or was cut short,
            # and taking it as empty would hand out ticket numbers a second time.
            raise StoreCorrupt(f"{self.hot_path}: no meta table (ticket counters); left untouched")
        if data is not None:
            try:
                for doc in data.get("tickets", {}).values():
                    ticket = Ticket.from_dict(doc)
                    self._tickets[ticket.number] = ticket
                    self._ticket_json[ticket.number] = _dumps(doc).encode()
                self._outbox = {d["message_id"]: OutgoingMail.from_dict(d) for d in data.get("outbox", {}).values()}
                self._outbox_texts()
                self._mailboxes = {d["office"]: MailboxState.from_dict(d) for d in data.get("mailboxes", {}).values()}
                self._inflight = {d["key"]: InflightEntry.from_dict(d) for d in data.get("inflight", {}).values()}
                self._quarantine = {d["key"]: QuarantineEntry.from_dict(d) for d in data.get("quarantine", {}).values()}
                self._not_ticketed = {d["key"]: NotTicketed.from_dict(d) for d in data.get("not_ticketed", {}).values()}
                self._meta = officemeta.from_doc(data.get("meta", {}).get("1", {}))
            except (KeyError, TypeError, ValueError, AttributeError) as exc:
                raise StoreCorrupt(f"{self.hot_path}: unexpected content ({exc!r}); left untouched") from exc
        for path in sorted(self.archive_dir.glob("*.json")):
            for number, mids in self._month_index(path).items():
                self._archived[number] = path.name
                for mid in mids:
                    self._msgindex[mid] = number
        for ticket in self._tickets.values():
            self._archived.pop(ticket.number, None)
            for mid in ticket.message_ids:
                self._msgindex[mid] = ticket.number
        for mail in self._outbox.values():  # as queue_mail indexes them before the commit
            if mail.ticket:
                self._msgindex.setdefault(mail.message_id, mail.ticket)

    @staticmethod
    def _archive_docs(path: Path) -> list[dict[str, Any]]:
        return list(Store._archive_data(path).get("tickets", {}).values())

    @staticmethod
    def _archive_data(path: Path) -> dict[str, Any]:
        data = read_json(path)
        if not isinstance(data, dict) or not isinstance(data.get("tickets", {}), dict):
            raise StoreCorrupt(f"{path}: expected a TinyDB file")
        return data

    @staticmethod
    def _index_path(month: Path) -> Path:
        return month.with_suffix(".ids")

    @staticmethod
    def _source(month: Path) -> list[int]:
        st = month.stat()
        return [st.st_ino, st.st_size, st.st_mtime_ns]

    def _month_index(self, month: Path) -> dict[str, list[str]]:
        """Ticket number -> Message-IDs of one archive month, from its index when that is current."""
        try:
            source = self._source(month)
            index = json.loads(self._index_path(month).read_bytes())
            if index.get("source") == source and isinstance(index.get("tickets"), dict):
                return index["tickets"]
        except (OSError, ValueError, AttributeError):
            pass  # missing or unreadable: it is only derived data, rebuilt below
        return self._write_month_index(month, self._archive_docs(month))

    def _write_month_index(self, month: Path, docs: list[dict[str, Any]]) -> dict[str, list[str]]:
        tickets = {doc["number"]: list(doc.get("message_ids", [])) for doc in docs}
        try:
            write_atomic(self._index_path(month), _dumps({"source": self._source(month), "tickets": tickets}).encode())
        except OSError as exc:
            log.warning("cannot write the archive index of %s (read again at the next start): %s", month, exc)
        return tickets

    # -- tickets ---------------------------------------------------------------------------------
    def save_ticket(self, ticket: Ticket) -> None:
        """Stage a ticket (new or changed); closed tickets move to the month's archive at commit."""
        with self.lock:
            self._dirty.add(ticket.number)
            self._tickets[ticket.number] = ticket
            self._changed(ticket.number)
            self._archived.pop(ticket.number, None)
            for mid in ticket.message_ids:
                self._msgindex[mid] = ticket.number

    def ticket(self, number: str) -> Ticket | None:
        """A ticket by number, hot or archived (an archived one is read from its month file)."""
        with self.lock:
            if number in self._tickets:
                return self._tickets[number]
            if number in self._to_archive:
                return self._to_archive[number]
            month = self._archived.get(number)
            if month is None:
                return None
            for doc in self._archive_docs(self.archive_dir / month):
                if doc["number"] == number:
                    return Ticket.from_dict(doc)
            return None

    def _changed(self, number: str) -> None:
        self._revision += 1
        self._changes.pop(number, None)
        self._changes[number] = self._revision
        if len(self._changes) > len(self._tickets) + CHANGES_KEPT:
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

    def ticket_for_message(self, message_id: str) -> str | None:
        """The number of the ticket a Message-ID belongs to (hot or archived, in or out), if any."""
        return self._msgindex.get(message_id)

    def index_message(self, message_id: str, number: str) -> None:
        """Remember that a Message-ID belongs to a ticket ("" for a mail that made none)."""
        with self.lock:
            self._msgindex[message_id] = number

    def open_tickets(self, office: str | None = None) -> list[Ticket]:
        """The tickets not closed (of one office)."""
        with self.lock:
            return [
                t
                for t in self._tickets.values()
                if t.status is not Status.CLOSED and (office is None or t.office == office)
            ]

    def all_tickets(self) -> Iterator[Ticket]:
        """Every ticket, hot then archived (reads the archive files: for reports and exports)."""
        with self.lock:
            hot = list(self._tickets.values()) + list(self._to_archive.values())
        yield from hot
        seen = {t.number for t in hot}
        for path in sorted(self.archive_dir.glob("*.json")):
            for doc in self._archive_docs(path):
                if doc["number"] not in seen:
                    yield Ticket.from_dict(doc)

    def next_number(self, office: str, year: int) -> str:
        """The next ticket number of an office and year; a number once handed out is never reused."""
        with self.lock:
            counters = self._office_meta(office).counters
            counters[year] = n = counters.get(year, 0) + 1
            return format_number(office, year, n)

    # -- outbox ----------------------------------------------------------------------------------
    def queue_mail(self, mail: OutgoingMail) -> None:
        """Put a mail in the outbox (its office is mail.office); staged until commit."""
        with self.lock:
            self._outbox[mail.message_id] = mail
            if mail.ticket:
                self._msgindex[mail.message_id] = mail.ticket

    def note_not_ticketed(self, record: NotTicketed) -> None:
        """Remember a mail that became no ticket (robot, duplicate, loop, list), newest last; only
        the last NOT_TICKETED_KEPT stay in the hot file (the spool keeps every mail)."""
        with self.lock:
            self._not_ticketed.pop(record.key, None)
            self._not_ticketed[record.key] = record
            while len(self._not_ticketed) > NOT_TICKETED_KEPT:
                del self._not_ticketed[next(iter(self._not_ticketed))]

    def not_ticketed_by_reason(self, office: str | None = None, since: datetime | None = None) -> str:
        """ "3 bounce, 1 duplicate": the mails remembered without a ticket, counted by why."""
        with self.lock:
            counts = Counter(r.reason for r in self.not_ticketed_mails(office, since))
        return ", ".join(f"{n} {reason}" for reason, n in counts.most_common())

    # -- typed access, office by office ---------------------------------------------------------
    # Everything outside tickets/ reads and changes the store through these. A write names its
    # office, or passes a record that carries it; a read over every office takes office=None.
    # Records returned are the store's own: change them only through these methods.
    def hot_ticket(self, number: str) -> Ticket | None:
        """A ticket of the hot set (open, or closed since the last commit); never reads the archive."""
        return self._tickets.get(number)

    def hot_tickets(self, office: str | None = None) -> list[Ticket]:
        """The hot set's tickets (of one office), closed ones not yet archived included."""
        with self.lock:
            return [t for t in self._tickets.values() if office in (None, t.office)]

    def outgoing(
        self, office: str | None = None, states: Iterable[str] | None = None, ticket: str | None = None
    ) -> list[OutgoingMail]:
        """The outbox's mail (of one office, in these states, of one ticket), oldest first."""
        wanted = None if states is None else set(states)
        with self.lock:
            return [
                m
                for m in self._outbox.values()
                if office in (None, m.office) and (wanted is None or m.status in wanted) and ticket in (None, m.ticket)
            ]

    def remove_mail(self, mail: OutgoingMail) -> None:
        """A mail leaves the outbox (it was sent); staged until commit."""
        with self.lock:
            self._outbox.pop(mail.message_id, None)

    def in_flight(self, office: str | None = None) -> list[InflightEntry]:
        """Fetched mail not yet processed (of one office), oldest first."""
        with self.lock:
            return [e for e in self._inflight.values() if office in (None, e.office)]

    def in_flight_entry(self, office: str, key: str) -> InflightEntry | None:
        """The in-flight entry of a fetched mail of `office` (key: records.entry_key), if any."""
        return self._inflight.get(key)

    def put_in_flight(self, entry: InflightEntry) -> None:
        """Record a fetched mail (or its changed attempts) as in flight; staged until commit."""
        with self.lock:
            self._inflight[entry.key] = entry

    def done_in_flight(self, entry: InflightEntry) -> None:
        """A mail in flight was processed: it leaves the in-flight list; staged until commit."""
        with self.lock:
            self._inflight.pop(entry.key, None)

    def set_aside(self, entry: InflightEntry, reason: str, copy: str, at: datetime) -> QuarantineEntry:
        """Move a mail from in flight to quarantine, with why and where its copy is."""
        with self.lock:
            self._inflight.pop(entry.key, None)
            self._quarantine[entry.key] = kept = QuarantineEntry.of(entry, reason, copy, at)
            return kept

    def quarantined(self, office: str | None = None) -> list[QuarantineEntry]:
        """Quarantined mail (of one office), in the order it was set aside."""
        with self.lock:
            return [e for e in self._quarantine.values() if office in (None, e.office)]

    def quarantined_entry(self, key: str) -> QuarantineEntry | None:
        """A quarantined mail by its key (which names its office: records.office_of_key)."""
        return self._quarantine.get(key)

    def drop_quarantined(self, entry: QuarantineEntry) -> None:
        """Take a mail off the quarantine list (its copy stays in the spool); staged until commit."""
        with self.lock:
            self._quarantine.pop(entry.key, None)

    def retry_quarantined(self, entry: QuarantineEntry) -> InflightEntry:
        """Put a quarantined mail back in flight with fresh attempts; staged until commit."""
        with self.lock:
            self._quarantine.pop(entry.key, None)
            self._inflight[entry.key] = again = entry.in_flight()
            return again

    def not_ticketed_mails(self, office: str | None = None, since: datetime | None = None) -> list[NotTicketed]:
        """The mails remembered without a ticket (of one office, received since), oldest first."""
        with self.lock:
            return [
                r
                for r in self._not_ticketed.values()
                if office in (None, r.office) and (since is None or r.received_at >= since)
            ]

    def not_ticketed_mail(self, key: str) -> NotTicketed | None:
        """A mail remembered without a ticket, by its key (which names its office)."""
        return self._not_ticketed.get(key)

    def forget_not_ticketed(self, record: NotTicketed) -> None:
        """Take a mail off the not-ticketed list (it was pulled in); staged until commit."""
        with self.lock:
            self._not_ticketed.pop(record.key, None)

    def mailbox_state(self, office: str) -> MailboxState:
        """How far the office's mailbox has been read (a copy; nothing read yet: last_uid 0)."""
        with self.lock:
            state = self._mailboxes.get(office) or MailboxState(office)
            return MailboxState(state.office, state.uidvalidity, state.last_uid)

    def advance_mailbox(self, office: str, uidvalidity: int, uids: list[int]) -> None:
        """The office's mailbox was read up to these UIDs of this UIDVALIDITY; staged until commit."""
        with self.lock:
            self._mailboxes[office] = (self._mailboxes.get(office) or MailboxState(office)).advanced(uidvalidity, uids)

    def office_meta(self, office: str) -> OfficeMeta:
        """The office's counters, rate-limit counts, round-robin picks and periodic-mail dates; read
        only (change them with `update_meta`)."""
        with self.lock:
            return self._office_meta(office)

    def rate_count(self, office: str, key: str) -> int:
        """How many mails the office counted under a rate-limit key (tickets.ratelimit)."""
        meta = self._meta.get(office)
        return meta.ratelimit.get(key, 0) if meta else 0

    def update_meta(self, office: str, changes: OfficeMeta) -> None:
        """Apply changes to the office's meta (mappings update, set dates replace); staged until commit."""
        with self.lock:
            self._office_meta(office).merge(changes)

    def _office_meta(self, office: str) -> OfficeMeta:
        return self._meta.setdefault(office, OfficeMeta())

    # -- commit ----------------------------------------------------------------------------------
    def commit(self) -> None:
        """Make every staged change durable in one atomic write (plus one per archive month touched)."""
        with self.lock:
            self._move_closed_to_archive()
            if self._to_archive:
                try:
                    self._write_archives()
                except LocalFault as exc:
                    self.faulted(exc)
                    raise
            for number in self._dirty:
                if number in self._tickets:
                    self._ticket_json[number] = _dumps(self._tickets[number].to_dict()).encode()
            self._dirty.clear()
            for meta in self._meta.values():
                ratelimit.prune(meta.ratelimit)
            try:
                write_atomic(self.hot_path, self._serialise())
            except LocalFault as exc:
                self.faulted(exc)
                raise
            self._to_archive.clear()
            if self.fault:
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

    def _move_closed_to_archive(self) -> None:
        for number in [n for n in self._dirty if self._tickets[n].status is Status.CLOSED]:
            ticket = self._tickets.pop(number)
            self._ticket_json.pop(number, None)
            self._changed(number)
            self._to_archive[number] = ticket
        self._dirty &= set(self._tickets)

    def _write_archives(self) -> None:
        by_month: dict[str, list[Ticket]] = {}
        for ticket in self._to_archive.values():
            closed = ticket.closed_at or ticket.updated_at or ticket.received_at
            by_month.setdefault(f"{closed:%Y-%m}.json", []).append(ticket)
        for name, tickets in by_month.items():
            self._rewrite_month(name, {t.number for t in tickets}, [t.to_dict() for t in tickets])
            for ticket in tickets:
                self._archived[ticket.number] = name

    def _rewrite_month(self, name: str, remove: set[str], add: list[dict[str, Any]]) -> None:
        """One archive month without the tickets `remove`, plus `add`, as TinyDB lays it out (a
        "tickets" table of documents under increasing ids); atomically, then its index."""
        path = self.archive_dir / name
        data = self._archive_data(path) if path.exists() else {}
        table = {k: v for k, v in data.get("tickets", {}).items() if v.get("number") not in remove}
        next_id = max((int(k) for k in data.get("tickets", {})), default=0) + 1
        for i, doc in enumerate(add):
            table[str(next_id + i)] = doc
        data["tickets"] = table
        write_atomic(path, _dumps(data).encode())
        self.archive_generation += 1
        self._write_month_index(path, list(table.values()))

    def unarchive(self, number: str) -> Ticket | None:
        """Bring a closed ticket back to the hot file (a citizen wrote again); staged until commit."""
        with self.lock:
            month = self._archived.get(number)
            ticket = self.ticket(number)
            if ticket is None or month is None:
                return ticket
            self._rewrite_month(month, {number}, [])
            self.save_ticket(ticket)
            return ticket

    def _outbox_doc(self, mail: OutgoingMail) -> dict[str, Any]:
        """A queued mail as stored: a big one's text lives in the spool, so a notification carrying
        10 MB of the citizen's files is not rewritten and synced with the hot file at every commit."""
        doc = mail.to_dict()
        if len(mail.raw) > OUTBOX_TEXT_INLINE:
            if not mail.spool:
                mail.spool = self.spool.put_outgoing(mail.message_id, mail.raw.encode("utf-8"))
            doc.update(raw="", spool=mail.spool)
        return doc

    def _outbox_texts(self) -> None:
        """Queued mail whose text was stored apart gets it back (it is sent from memory)."""
        for mail in self._outbox.values():
            if not mail.raw and mail.spool and mail.status in (MailState.QUEUED, MailState.SENDING):
                try:
                    mail.raw = self.spool.read(mail.spool).decode("utf-8")
                except (OSError, ValueError) as exc:
                    raise StoreCorrupt(f"queued mail {mail.message_id}: text {mail.spool} unreadable: {exc}") from exc

    def _serialise(self) -> bytes:
        def table(records: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
            return {str(i): r for i, r in enumerate(records, start=1)}

        outbox = []
        cache = {}
        for mid, mail in self._outbox.items():
            signature = _outbox_signature(mail)
            cached = self._outbox_json.get(mid)
            if cached is None or cached[0] != signature:
                cached = (signature, _dumps(self._outbox_doc(mail)).encode())
            cache[mid] = cached
            outbox.append(cached[1])
        self._outbox_json = cache
        plain = {
            "outbox": {},
            "mailboxes": table([v.to_dict() for v in self._mailboxes.values()]),
            "inflight": table([dict(v.to_dict(), key=k) for k, v in self._inflight.items()]),
            "quarantine": table([dict(v.to_dict(), key=k) for k, v in self._quarantine.items()]),
            "not_ticketed": table([v.to_dict() for v in self._not_ticketed.values()]),
            "meta": {"1": officemeta.to_doc(self._meta)},
        }
        head = _dumps(plain).encode()
        assert head.startswith(b'{"outbox":{}')
        # One join of cached pieces: the hot file is megabytes, every extra copy of it counts.
        parts = [b'{"outbox":{']
        _numbered(parts, outbox)
        parts += [b"}", head[len(b'{"outbox":{}') : -1], b',"tickets":{']
        _numbered(parts, self._ticket_json.values())
        parts.append(b"}}")
        return b"".join(parts)


def _numbered(parts: list[bytes], docs: Iterable[bytes]) -> None:
    """TinyDB's table layout: '"1":{...},"2":{...}'."""
    for i, doc in enumerate(docs, start=1):
        parts += [b',"%d":' % i if i > 1 else b'"1":', doc]
