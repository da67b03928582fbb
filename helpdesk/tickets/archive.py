"""One office's closed tickets, one TinyDB file per closing month (stage 2).

archive/YYYY-MM.json  a TinyDB database with one "tickets" table, written atomically
archive/YYYY-MM.ids   that month's ticket numbers and Message-IDs, with the (inode, size, mtime)
                      of the month file they were read from: a derived index, so that a start
                      reads a few MB of ids instead of every archived ticket. An index that is
                      missing, unreadable or does not match its month file is rebuilt from it.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from tinydb import Query

from ..errors import StoreCorrupt
from ..model import Ticket
from .atomic import read_json, write_atomic
from .tinystore import dumps, open_db

log = logging.getLogger(__name__)


class Archive:
    """Closed tickets by month: found by number through the index, read with TinyDB's queries."""

    def __init__(self, directory: Path) -> None:
        self.dir = directory
        self.month_of: dict[str, str] = {}  # ticket number -> month file name
        self.generation = 0  # bumped by every write, for caches of the archived tickets

    def months(self) -> list[Path]:
        return sorted(self.dir.glob("*.json"))

    def load(self) -> dict[str, str]:
        """Read every month's index; returns Message-ID -> ticket number of the archived tickets."""
        messages: dict[str, str] = {}
        for path in self.months():
            for number, mids in self._month_index(path).items():
                self.month_of[number] = path.name
                for mid in mids:
                    messages[mid] = number
        return messages

    def get(self, number: str) -> Ticket | None:
        month = self.month_of.get(number)
        if month is None:
            return None
        db, _ = open_db(self.dir / month)
        doc = db.table("tickets").get(Query().number == number)
        return Ticket.from_dict(dict(doc)) if isinstance(doc, dict) else None

    def tickets(self, skip: frozenset[str] | set[str] = frozenset()) -> Iterator[Ticket]:
        """Every archived ticket, month by month (reads the files: for reports and exports)."""
        for path in self.months():
            for doc in docs(path):
                if doc["number"] not in skip:
                    yield Ticket.from_dict(doc)

    def add(self, tickets: Iterable[Ticket]) -> None:
        """Closed tickets into the month they closed in: one atomic write per month touched."""
        by_month: dict[str, list[Ticket]] = {}
        for ticket in tickets:
            closed = ticket.closed_at or ticket.updated_at or ticket.received_at
            by_month.setdefault(f"{closed:%Y-%m}.json", []).append(ticket)
        for name, month in by_month.items():
            self._rewrite(name, {t.number for t in month}, [t.to_dict() for t in month])
            for ticket in month:
                self.month_of[ticket.number] = name

    def take_out(self, number: str) -> Ticket | None:
        """Remove a ticket from its month (a citizen wrote again) and give it back."""
        ticket = self.get(number)
        if ticket is not None:
            self._rewrite(self.month_of.pop(number), {number}, [])
        return ticket

    def _rewrite(self, name: str, remove: set[str], add: list[dict[str, Any]]) -> None:
        """One month without the tickets `remove`, plus `add`: through TinyDB, then its index."""
        db, storage = open_db(self.dir / name)
        table = db.table("tickets")
        table.remove(Query().number.one_of(list(remove)))
        table.insert_multiple(add)
        storage.flush()
        self.generation += 1
        self._write_month_index(self.dir / name, list(storage.tables.get("tickets", {}).values()))

    # -- the derived index ------------------------------------------------------------------------
    def _month_index(self, month: Path) -> dict[str, list[str]]:
        """Ticket number -> Message-IDs of one month, from its index when that is current."""
        try:
            source = _source(month)
            index = json.loads(month.with_suffix(".ids").read_bytes())
            if index.get("source") == source and isinstance(index.get("tickets"), dict):
                tickets: dict[str, list[str]] = index["tickets"]
                return tickets
        except (OSError, ValueError, AttributeError):
            pass  # missing or unreadable: it is only derived data, rebuilt below
        return self._write_month_index(month, docs(month))

    @staticmethod
    def _write_month_index(month: Path, month_docs: list[dict[str, Any]]) -> dict[str, list[str]]:
        tickets = {doc["number"]: list(doc.get("message_ids", [])) for doc in month_docs}
        try:
            write_atomic(month.with_suffix(".ids"), dumps({"source": _source(month), "tickets": tickets}).encode())
        except OSError as exc:
            log.warning("cannot write the archive index of %s (read again at the next start): %s", month, exc)
        return tickets


def docs(path: Path) -> list[dict[str, Any]]:
    """The ticket documents of one month file (StoreCorrupt if it is not a TinyDB file)."""
    data = read_json(path)
    if not isinstance(data, dict) or not isinstance(data.get("tickets", {}), dict):
        raise StoreCorrupt(f"{path}: expected a TinyDB file")
    return list(data.get("tickets", {}).values())


def _source(month: Path) -> list[int]:
    st = month.stat()
    return [st.st_ino, st.st_size, st.st_mtime_ns]
