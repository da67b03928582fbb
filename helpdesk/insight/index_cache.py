"""The consultation index of each office, kept in memory and rebuilt only when its tickets changed
(insight; reads the store's files, never writes).

The acknowledgement and the operator notification search on every new mail, so a search must not
read the whole history each time. Per store and office this keeps:
  - per archive month file: its (mtime, size) and that office's consultations with their terms,
    so a file is re-read only after it was rewritten, and only for the office asking;
  - the hot (open) tickets' answered consultations, keyed by (number, events, public);
  - the BM25 index over both, rebuilt when either part changed.
"""

from __future__ import annotations

import logging
import os
import threading
import time
import weakref
from dataclasses import dataclass, field

from ..model import Ticket
from ..tickets.atomic import read_json
from ..tickets.store import Store
from .consultations import Consultation, ConsultationIndex, indexed

log = logging.getLogger(__name__)
Pair = tuple[Consultation, list[str]]
RESCAN_SECONDS = 60.0


@dataclass
class _ArchiveFile:
    stat: tuple[int, int]  # (mtime_ns, size) when read
    pairs: list[Pair]  # this office's consultations in the file


@dataclass
class _Slot:
    files: dict[str, _ArchiveFile] = field(default_factory=dict)
    hot: dict[str, Pair] = field(default_factory=dict)  # number -> pair, answered hot tickets
    hot_version: int = 0  # changes whenever `hot` does
    revision: int = -1  # the store revision `hot` reflects (Store.hot_changes)
    signature: tuple = ()
    index: ConsultationIndex | None = None
    archive_generation: int = -1  # the store's archive generation at the last folder scan
    scanned_at: float = float("-inf")
    archive_signature: tuple = ()


_SLOTS: weakref.WeakKeyDictionary[Store, dict[str, _Slot]] = weakref.WeakKeyDictionary()
_LOCK = threading.Lock()


def _mine(office: str | None, ticket_office: str) -> bool:
    return office is None or ticket_office == office


def _refresh_archives(store: Store, office: str | None, slot: _Slot) -> tuple:
    """Re-read the archive files written since last time; returns their stats (the signature).

    The folder is looked at again only when this store wrote to it, or RESCAN_SECONDS after the
    last look (another process, such as an import, may have): stat-ing every month file for every
    new mail grew with each month of history."""
    now = time.monotonic()
    if slot.archive_generation == store.archive_generation and now - slot.scanned_at < RESCAN_SECONDS:
        return slot.archive_signature
    slot.archive_generation, slot.scanned_at = store.archive_generation, now
    slot.archive_signature = _scan_archives(store, office, slot)
    return slot.archive_signature


def _scan_archives(store: Store, office: str | None, slot: _Slot) -> tuple:
    seen = []
    # os.scandir rather than Path.glob: this runs for every new mail, and pathlib's objects cost
    # more than the stat calls themselves (it grew with every month of archive).
    try:
        with os.scandir(store.archive_dir) as it:
            names = sorted(e.name for e in it if e.name.endswith(".json") and not e.name.startswith("."))
    except FileNotFoundError:
        names = []
    for name in names:
        path = store.archive_dir / name
        try:
            st = os.stat(path)
        except FileNotFoundError:
            continue
        stat = (st.st_mtime_ns, st.st_size)  # taken before reading: a later write is seen next time
        seen.append((path.name, stat))
        cached = slot.files.get(path.name)
        if cached is not None and cached.stat == stat:
            continue
        data = read_json(path) or {}
        docs = data.get("tickets", {}).values() if isinstance(data, dict) else []
        pairs = [
            p
            for d in docs
            if _mine(office, str(d.get("office", "")))
            for p in [indexed(Ticket.from_dict(d))]
            if p is not None
        ]
        slot.files[path.name] = _ArchiveFile(stat, pairs)
    for name in set(slot.files) - {name for name, _ in seen}:
        del slot.files[name]
    return tuple(seen)


def _refresh_hot(store: Store, office: str | None, slot: _Slot) -> int:
    """Index the hot tickets' answered consultations; returns the version of the result.

    Only the tickets saved (or gone from the hot file) since the last call are looked at: each
    new mail searches, and must not examine every open ticket of every office each time."""
    revision, changed = store.hot_changes(slot.revision)  # the caller holds store.lock
    if changed is None:
        changed = [t.number for t in store.hot_tickets()] + list(slot.hot)  # everything, and whatever left
    for number in dict.fromkeys(changed):
        t = store.hot_ticket(number)
        old = slot.hot.get(number)
        pair = None
        if t is not None and _mine(office, t.office):
            same = old is not None and old[0].key == (t.number, len(t.events)) and old[0].public == (t.public is True)
            pair = old if same else indexed(t)
        if pair is None:
            if slot.hot.pop(number, None) is not None:
                slot.hot_version += 1
        elif pair is not old:
            slot.hot[number] = pair
            slot.hot_version += 1
    slot.revision = revision
    return slot.hot_version


def office_index(store: Store, office: str | None) -> ConsultationIndex:
    """The current index of one office's answered consultations (None: every office)."""
    # The store's lock first, always: the pipeline calls this while holding it, and one lock order
    # everywhere means no deadlock. Holding it also keeps a commit from rewriting a file mid-read.
    with store.lock, _LOCK:
        slot = _SLOTS.setdefault(store, {}).setdefault(office or "*", _Slot())
        signature = (_refresh_archives(store, office, slot), _refresh_hot(store, office, slot))
        if slot.index is None or signature != slot.signature:
            hot_numbers = set(slot.hot)
            pairs = [p for f in slot.files.values() for p in f.pairs if p[0].number not in hot_numbers]
            pairs += list(slot.hot.values())
            slot.index = ConsultationIndex.build(pairs)
            slot.signature = signature
            log.debug("consultation index for %s: %d answered", office or "all offices", len(pairs))
        return slot.index
