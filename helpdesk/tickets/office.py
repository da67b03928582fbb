"""One office's store: its open tickets, outbox, mailbox state, in-flight mail (stage 2).

Layout under `<data_dir>/store/<code>/`:
  hot.json             a TinyDB database: tables tickets (open ones), outbox, mailboxes, inflight,
                       quarantine, not_ticketed, meta (ticket counters and the office's small
                       remembered facts); rewritten atomically, once, by a commit that changed it
  archive/             closed tickets by closing month (tickets.archive)

Offices share nothing, so a commit rewrites one office's open tickets only, and a damaged file
stops one office. The records live in memory as the helpdesk's own types; a commit brings the
TinyDB tables up to date with what changed and flushes them in one write.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from tinydb.table import Table

from ..errors import StoreCorrupt
from ..kinds import MailState
from ..model import OutgoingMail, Status, Ticket
from . import officemeta, ratelimit
from .archive import Archive
from .officemeta import OfficeMeta
from .records import InflightEntry, MailboxState, NotTicketed, QuarantineEntry
from .spool import Spool
from .tinystore import next_id, open_db, replace_docs, sync_table

log = logging.getLogger(__name__)
OUTBOX_TEXT_INLINE = 256 * 1024  # characters of a queued mail's text kept in the hot file itself
NOT_TICKETED_KEPT = 1_000  # mails without a ticket remembered for `helpdesk mails --not-ticketed`
TABLES = ("tickets", "outbox", "mailboxes", "inflight", "quarantine", "not_ticketed", "meta")
Signature = tuple[object, ...]  # what a commit compares to tell a changed record from an unchanged one
# A table kept record by record: the records, what changes on one in place, its document.
RecordTable = tuple[dict[str, Any], Callable[[Any], Signature], Callable[[str, Any], dict[str, Any]]]


def _outbox_signature(mail: OutgoingMail) -> Signature:
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


class OfficeStore:
    """One office's records in memory, written durably by `commit()`; the caller holds the lock."""

    def __init__(self, directory: Path, code: str, spool: Spool) -> None:
        self.code = code
        self.dir = directory
        self.hot_path = directory / "hot.json"
        self.spool = spool
        self.archive = Archive(directory / "archive")
        self.tickets: dict[str, Ticket] = {}  # the open ones
        self.outbox: dict[str, OutgoingMail] = {}
        self.mailbox = MailboxState(code)  # how far the office's mailbox has been read
        self.inflight: dict[str, InflightEntry] = {}  # entry_key -> fetched mail not yet processed
        self.quarantine: dict[str, QuarantineEntry] = {}
        self.not_ticketed: dict[str, NotTicketed] = {}  # entry_key -> mail that made no ticket, why
        self.meta = OfficeMeta()
        self.messages: dict[str, str] = {}  # Message-ID -> ticket number (open and archived)
        self._ids: dict[str, dict[str, int]] = {name: {} for name in TABLES}  # key -> TinyDB doc id
        # table -> key -> (record, signature) as last stored: a record that is the same object with
        # the same signature is not converted, compared or serialised again at the next commit.
        self._seen: dict[str, dict[str, tuple[Any, Signature]]] = {name: {} for name in TABLES}
        self._dirty: set[str] = set()  # tickets saved since the last commit
        # The last write of the hot file failed (disk full): the next commit writes it again, even
        # if nothing changed since, for what that write held is in memory only.
        self.unwritten = False
        # The meta changed since the last commit: its one document (every rate-limit count of the
        # day's senders) is rebuilt, pruned and compared only then, not at the outbox's commits too.
        self.meta_changed = True
        self._to_archive: dict[str, Ticket] = {}
        self.db, self.storage = open_db(self.hot_path)
        self._load()

    def table(self, name: str) -> Table:
        return self.db.table(name)

    # -- loading ---------------------------------------------------------------------------------
    def _load(self) -> None:
        if self.storage.exists and not self.table("meta").contains(doc_id=1):
            # Every commit writes the counters: a file without them is not ours, or was cut short,
            # and taking it as empty would hand out ticket numbers a second time.
            raise StoreCorrupt(f"{self.hot_path}: no meta table (ticket counters); left untouched")
        try:
            for doc in self.table("tickets"):
                ticket = Ticket.from_dict(dict(doc))
                self.tickets[ticket.number] = ticket
                self._ids["tickets"][ticket.number] = doc.doc_id
            for doc in self.table("outbox"):
                mail = OutgoingMail.from_dict(dict(doc))
                self.outbox[mail.message_id] = mail
                self._ids["outbox"][mail.message_id] = doc.doc_id
            self._outbox_texts()
            for doc in self.table("mailboxes"):
                self.mailbox = MailboxState.from_dict(dict(doc))
                self._ids["mailboxes"][self.code] = doc.doc_id
            for name, kind in (("inflight", InflightEntry), ("quarantine", QuarantineEntry)):
                records = getattr(self, name)
                for doc in self.table(name):
                    records[doc["key"]] = kind.from_dict(dict(doc))
                    self._ids[name][doc["key"]] = doc.doc_id
            for doc in self.table("not_ticketed"):
                self.not_ticketed[doc["key"]] = NotTicketed.from_dict(dict(doc))
                self._ids["not_ticketed"][doc["key"]] = doc.doc_id
            for name, (records, signature, _) in self._records().items():
                self._seen[name] = {key: (r, signature(r)) for key, r in records.items()}
            if meta := self.table("meta").get(doc_id=1):
                self.meta = officemeta.from_doc(dict(meta)).get(self.code) or OfficeMeta()
                self._ids["meta"]["1"] = 1
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise StoreCorrupt(f"{self.hot_path}: unexpected content ({exc!r}); left untouched") from exc
        self.messages = self.archive.load()
        for ticket in self.tickets.values():
            self.archive.month_of.pop(ticket.number, None)
            for mid in ticket.message_ids:
                self.messages[mid] = ticket.number
        for mail in self.outbox.values():  # as queue_mail indexes them before the commit
            if mail.ticket:
                self.messages.setdefault(mail.message_id, mail.ticket)

    def _outbox_texts(self) -> None:
        """Queued mail whose text was stored apart gets it back (it is sent from memory)."""
        for mail in self.outbox.values():
            if not mail.raw and mail.spool and mail.status in (MailState.QUEUED, MailState.SENDING):
                try:
                    mail.raw = self.spool.read(mail.spool).decode("utf-8")
                except (OSError, ValueError) as exc:
                    raise StoreCorrupt(f"queued mail {mail.message_id}: text {mail.spool} unreadable: {exc}") from exc

    # -- tickets ---------------------------------------------------------------------------------
    def save_ticket(self, ticket: Ticket) -> None:
        """Stage a ticket (new or changed); a closed one moves to its month's archive at commit."""
        self._dirty.add(ticket.number)
        self.tickets[ticket.number] = ticket
        self.archive.month_of.pop(ticket.number, None)
        for mid in ticket.message_ids:
            self.messages[mid] = ticket.number

    def ticket(self, number: str) -> Ticket | None:
        """A ticket by number, open or archived (an archived one is read from its month file)."""
        found = self.tickets.get(number) or self._to_archive.get(number)
        return found if found is not None else self.archive.get(number)

    def unarchive(self, number: str) -> Ticket | None:
        """Bring a closed ticket back to the hot file (a citizen wrote again); staged until commit."""
        if number not in self.archive.month_of:
            return self.ticket(number)
        ticket = self.archive.take_out(number)
        if ticket is not None:
            self.save_ticket(ticket)
        return ticket

    def all_tickets(self) -> Iterator[Ticket]:
        """Every ticket, open then archived (reads the archive files: for reports and exports)."""
        hot = list(self.tickets.values()) + list(self._to_archive.values())
        yield from hot
        yield from self.archive.tickets(skip={t.number for t in hot})

    def next_number(self, year: int) -> int:
        """The next serial of a year; a number once handed out is never reused."""
        self.meta.counters[year] = n = self.meta.counters.get(year, 0) + 1
        self.meta_changed = True
        return n

    def update_meta(self, changes: OfficeMeta) -> None:
        """Apply changes to the meta (mappings update, set dates replace); staged until commit."""
        if changes.touches_anything():
            self.meta.merge(changes)
            self.meta_changed = True

    # -- outbox and the small tables ---------------------------------------------------------------
    def queue_mail(self, mail: OutgoingMail) -> None:
        self.outbox[mail.message_id] = mail
        if mail.ticket:
            self.messages[mail.message_id] = mail.ticket

    def note_not_ticketed(self, record: NotTicketed) -> None:
        """Remember a mail that became no ticket, newest last; the last NOT_TICKETED_KEPT stay."""
        self.not_ticketed.pop(record.key, None)
        self.not_ticketed[record.key] = record
        while len(self.not_ticketed) > NOT_TICKETED_KEPT:
            del self.not_ticketed[next(iter(self.not_ticketed))]

    # -- commit ----------------------------------------------------------------------------------
    def stage(self) -> tuple[list[str], list[bytes] | None]:
        """Closed tickets to the archive (one synced write per month touched), then the hot file's
        new text, made now (the caller holds the lock) and written by `write()` (it need not).
        Returns the numbers of the tickets that left the hot file for the archive, and the text,
        None when nothing in the file changed."""
        moved = [n for n in self._dirty if self.tickets[n].status is Status.CLOSED]
        for number in moved:
            self._to_archive[number] = self.tickets.pop(number)
        self._dirty.difference_update(moved)
        if self._to_archive:
            self.archive.add(self._to_archive.values())
        changed = self._sync_tickets() | self._sync_records("outbox") | self._sync_small()
        text = self.storage.serialise() if changed or self.unwritten or not self.storage.exists else None
        self._to_archive.clear()
        return moved, text

    def write(self, text: list[bytes]) -> None:
        """The hot file replaced by a text `stage()` made, in one atomic, synced write (a write that
        does not end here leaves `unwritten` set: Staged.wait sees to it)."""
        self.storage.save(text)
        self.unwritten = False

    def _sync_tickets(self) -> bool:
        ids, table = self._ids["tickets"], self.table("tickets")
        docs = {}
        for number in sorted(self._dirty):
            doc_id = ids.get(number) or ids.setdefault(number, next_id(table))
            docs[doc_id] = self.tickets[number].to_dict()
        # Every ticket on its way to the archive, also one whose earlier commit failed after
        # its month file was written: it leaves the hot file once, whichever commit writes it.
        gone = [ids.pop(n) for n in self._to_archive if n in ids]
        replace_docs(table, docs, gone)
        self._dirty.clear()
        return bool(docs or gone)

    def _records(self) -> dict[str, RecordTable]:
        """The tables kept record by record: records, what changes on one in place, its document."""
        return {
            "outbox": (self.outbox, _outbox_signature, lambda _, mail: self._outbox_doc(mail)),
            "inflight": (self.inflight, _attempts, lambda key, e: dict(e.to_dict(), key=key)),
            "quarantine": (self.quarantine, _attempts, lambda key, e: dict(e.to_dict(), key=key)),
            "not_ticketed": (self.not_ticketed, _never, lambda _, r: r.to_dict()),  # made once, never changed
        }

    def _sync_records(self, name: str) -> bool:
        """Write again only the records added, removed, replaced or changed in place."""
        records, signature, to_doc = self._records()[name]
        ids, seen, table = self._ids[name], self._seen[name], self.table(name)
        docs = {}
        for key, record in records.items():
            was, now = seen.get(key), signature(record)
            if was is not None and was[0] is record and was[1] == now:
                continue
            seen[key] = (record, now)
            docs[ids.get(key) or ids.setdefault(key, next_id(table))] = to_doc(key, record)
        gone = [key for key in ids if key not in records]
        for key in gone:
            seen.pop(key, None)
        replace_docs(table, docs, [ids.pop(key) for key in gone])
        return bool(docs or gone)

    def written(self, message_id: str) -> bool:
        """Whether a commit has written this queued mail (as it was then; it may have changed since)."""
        return message_id in self._seen["outbox"]

    def outbox_changed(self) -> bool:
        """Whether a queued mail was added, removed, or changed in place since the last commit."""
        seen = self._seen["outbox"]
        return len(seen) != len(self.outbox) or any(
            (was := seen.get(mid)) is None or was[1] != _outbox_signature(mail) for mid, mail in self.outbox.items()
        )

    def _outbox_doc(self, mail: OutgoingMail) -> dict[str, Any]:
        """A queued mail as stored: a big one's text lives in the spool, so a notification carrying
        10 MB of the citizen's files is not rewritten and synced with the hot file at every commit."""
        doc = mail.to_dict()
        if len(mail.raw) > OUTBOX_TEXT_INLINE:
            if not mail.spool:
                mail.spool = self.spool.put_outgoing(mail.message_id, mail.raw.encode("utf-8"))
            doc.update(raw="", spool=mail.spool)
        return doc

    def _sync_small(self) -> bool:
        changed = sync_table(
            self.table("mailboxes"),
            self._ids["mailboxes"],
            {self.code: self.mailbox.to_dict()} if self.mailbox.uidvalidity is not None else {},
        )
        for name in ("inflight", "quarantine", "not_ticketed"):
            changed |= self._sync_records(name)
        if not self.meta_changed:
            return changed
        self.meta_changed = False
        ratelimit.prune(self.meta.ratelimit)
        self._ids["meta"].setdefault("1", 1)
        meta = {"1": officemeta.to_doc({self.code: self.meta})}
        return sync_table(self.table("meta"), self._ids["meta"], meta) | changed

    def releases_inflight(self) -> bool:
        """True when this commit takes mail out of flight: written last among the offices a commit
        touches, so that a crash between two offices' writes leaves the mail in flight, redone."""
        return any(key not in self.inflight for key in self._ids["inflight"])


def _attempts(entry: InflightEntry) -> Signature:
    return (entry.attempts, entry.last_error)


def _never(_: object) -> Signature:
    return ()


def unreadable_stores(data_dir: Path, codes: list[str]) -> dict[str, str]:
    """Office -> why its store cannot be read, for `helpdesk check` (reads, migrates nothing)."""
    found = {}
    for code in codes:
        try:
            OfficeStore(data_dir / "store" / code, code, Spool(data_dir))
        except StoreCorrupt as exc:
            found[code] = str(exc)
    return found
