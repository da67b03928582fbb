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
import threading
import weakref
from dataclasses import dataclass, field

from ..model import Ticket
from ..tickets.atomic import read_json
from ..tickets.store import Store
from .consultations import Consultation, ConsultationIndex, indexed

log = logging.getLogger(__name__)
Pair = tuple[Consultation, list[str]]


@dataclass
class _ArchiveFile:
    stat: tuple[int, int]                      # (mtime_ns, size) when read
    pairs: list[Pair]                          # this office's consultations in the file


@dataclass
class _Slot:
    files: dict[str, _ArchiveFile] = field(default_factory=dict)
    hot: dict[tuple[str, int], Pair] = field(default_factory=dict)   # (number, events) -> pair
    # Hot tickets that are no consultation (not answered yet, or a complaint), by all that decides
    # it: most open tickets are none, and each new mail's search must not examine each again.
    none: set[tuple] = field(default_factory=set)
    signature: tuple = ()
    index: ConsultationIndex | None = None


_SLOTS: weakref.WeakKeyDictionary[Store, dict[str, _Slot]] = weakref.WeakKeyDictionary()
_LOCK = threading.Lock()


def _mine(office: str | None, ticket_office: str) -> bool:
    return office is None or ticket_office == office


def _refresh_archives(store: Store, office: str | None, slot: _Slot) -> tuple:
    """Re-read the archive files written since last time; returns their stats (the signature)."""
    seen = []
    for path in sorted(store.archive_dir.glob("*.json")):
        st = path.stat()
        stat = (st.st_mtime_ns, st.st_size)      # taken before reading: a later write is seen next time
        seen.append((path.name, stat))
        cached = slot.files.get(path.name)
        if cached is not None and cached.stat == stat:
            continue
        data = read_json(path) or {}
        docs = data.get("tickets", {}).values() if isinstance(data, dict) else []
        pairs = [p for d in docs if _mine(office, str(d.get("office", "")))
                 for p in [indexed(Ticket.from_dict(d))] if p is not None]
        slot.files[path.name] = _ArchiveFile(stat, pairs)
    for name in set(slot.files) - {name for name, _ in seen}:
        del slot.files[name]
    return tuple(seen)


def _refresh_hot(store: Store, office: str | None, slot: _Slot) -> tuple:
    """Index the hot tickets' answered consultations (re-using unchanged ones); returns their flags."""
    fresh: dict[tuple[str, int], Pair] = {}
    flags = []
    none: set[tuple] = set()
    for t in store.tickets.values():            # the caller holds store.lock
        if not _mine(office, t.office):
            continue
        key, public = (t.number, len(t.events)), t.public is True
        pair = slot.hot.get(key)
        if pair is None or pair[0].public != public:
            unanswered = (t.number, len(t.events), public, t.category, tuple(t.tags))
            if unanswered in slot.none:
                none.add(unanswered)
                continue
            pair = indexed(t)
            if pair is None:
                none.add(unanswered)
        if pair is not None:
            fresh[key] = pair
            flags.append((t.number, len(t.events), public))
    slot.hot = fresh
    slot.none = none
    return tuple(sorted(flags))


def office_index(store: Store, office: str | None) -> ConsultationIndex:
    """The current index of one office's answered consultations (None: every office)."""
    # The store's lock first, always: the pipeline calls this while holding it, and one lock order
    # everywhere means no deadlock. Holding it also keeps a commit from rewriting a file mid-read.
    with store.lock, _LOCK:
        slot = _SLOTS.setdefault(store, {}).setdefault(office or "*", _Slot())
        signature = (_refresh_archives(store, office, slot), _refresh_hot(store, office, slot))
        if slot.index is None or signature != slot.signature:
            hot_numbers = {c.number for c, _ in slot.hot.values()}
            pairs = [p for f in slot.files.values() for p in f.pairs if p[0].number not in hot_numbers]
            pairs += list(slot.hot.values())
            slot.index = ConsultationIndex.build(pairs)
            slot.signature = signature
            log.debug("consultation index for %s: %d answered", office or "all offices", len(pairs))
        return slot.index
