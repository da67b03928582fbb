"""TinyDB kept in memory and written durably only when the store commits (stage 2).

TinyDB's own JSONStorage rewrites its file at every insert or remove; a commit of the helpdesk
changes several tables at once and must reach the disk in one piece. `CommitStorage` holds the
tables in memory, lets TinyDB read and change them there, and `flush()` writes the whole file once
through `atomic.write_atomic` (temp file, fsync, rename). The file stays plain TinyDB JSON, so
`TinyDB(path).table("tickets").search(...)` works on it with no helpdesk code.

Serialising is the cost of a commit: an office may hold a thousand open tickets. The JSON of each
document is kept beside the very document object it was made from; TinyDB replaces a document
with a new object when it is inserted, so a document that is the same object as last time is the
same text, and only what a commit changed is serialised again. The store never changes a stored
document in place (no `Table.update`): it removes and inserts, which keeps that rule true.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, cast

from tinydb import TinyDB
from tinydb.storages import Storage
from tinydb.table import Table

from ..errors import StoreCorrupt
from .atomic import read_json, write_atomic

Tables = dict[str, dict[str, dict[str, Any]]]


# One encoder for every document: json.dumps with options makes a new one at each call, a tenth
# of what encoding a small document costs.
dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


class CommitStorage(Storage):
    """A TinyDB storage in memory: `write()` stays in memory, `flush()` makes it durable."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        data = read_json(self.path)
        if data is None:
            data = {}
        elif not isinstance(data, dict) or not all(isinstance(t, dict) for t in data.values()):
            raise StoreCorrupt(f"{self.path}: expected a TinyDB file (a JSON object of tables)")
        self.tables: Tables = data
        self.exists = self.path.exists()
        # table -> (its dict, id -> (document, JSON), the table's JSON in pieces), as last written
        self._json: dict[str, tuple[Any, dict[str, tuple[Any, bytes]], list[bytes]]] = {}

    def read(self) -> Tables:
        return self.tables

    def write(self, data: Tables) -> None:
        self.tables = data  # in memory only, until flush()

    def close(self) -> None:
        pass

    def flush(self) -> None:
        """The whole database in one atomic, synced write."""
        self.save(self.serialise())

    def save(self, text: list[bytes]) -> None:
        """Write what `serialise()` made (the tables as they were then) in one atomic, synced write."""
        write_atomic(self.path, text)
        self.exists = True

    def serialise(self) -> list[bytes]:
        """The file's text in pieces, in order (written as they are, never joined: the file is
        megabytes, and each copy of it cost a commit as much as serialising what changed)."""
        out = [b"{"]
        cache: dict[str, tuple[Any, dict[str, tuple[Any, bytes]], list[bytes]]] = {}
        for name, table in self.tables.items():
            before = self._json.get(name)
            if before is not None and before[0] is table:
                cache[name] = before  # TinyDB gives a changed table a new dict: this one is as written
            else:
                old = before[1] if before else {}
                kept = {
                    doc_id: cached
                    if (cached := old.get(doc_id)) is not None and cached[0] is doc
                    else _piece(doc_id, doc)
                    for doc_id, doc in table.items()
                }
                pieces = [b"%s:{" % dumps(name).encode()]
                for _, piece in kept.values():
                    pieces += (piece, b",")
                pieces[-1 if kept else len(pieces) :] = [b"}"]
                cache[name] = (table, kept, pieces)
            if len(out) > 1:
                out.append(b",")
            out += cache[name][2]
        out.append(b"}")
        self._json = cache
        return out


def _piece(doc_id: str, doc: Any) -> tuple[Any, bytes]:
    return doc, b'"%s":%s' % (doc_id.encode(), dumps(doc).encode())


def open_db(path: Path) -> tuple[TinyDB, CommitStorage]:
    """A TinyDB over a CommitStorage for `path` (StoreCorrupt when the file is not a TinyDB file)."""
    db = TinyDB(path, storage=CommitStorage)
    return db, db.storage  # type: ignore[return-value]


def replace_docs(table: Table, docs: Mapping[int, dict[str, Any]], remove: Iterable[int] = ()) -> None:
    """Put each document of `docs` under its id and drop the ids in `remove`, in the table's dict
    in memory: what Table.insert and Table.remove do, without their copy of the whole table twice
    per call (a thousand open tickets made that the dearest part of a commit)."""
    gone = list(remove)
    if not docs and not gone:
        return
    tables = cast(Tables, table.storage.read())  # a CommitStorage's own dict (never None): changed in place
    stored = tables[table.name] = dict(tables.get(table.name, {}))  # a new dict: serialise() sees the change
    for doc_id in gone:
        stored.pop(str(doc_id), None)
    for doc_id, doc in docs.items():
        stored[str(doc_id)] = dict(doc)  # a new object, as Table.insert makes one
    table.clear_cache()


def sync_table(table: Table, ids: dict[str, int], wanted: dict[str, dict[str, Any]]) -> bool:
    """Make a small table hold exactly `wanted` (key -> document), changing only the documents
    that differ; `ids` maps each key to its document id and is kept up to date. True if changed."""
    stored = cast(Tables, table.storage.read()).get(table.name, {})
    changed: dict[int, dict[str, Any]] = {}
    for key, doc in wanted.items():
        doc_id = ids.get(key)
        if doc_id is None:
            doc_id = ids[key] = next_id(table)
        elif stored.get(str(doc_id)) == doc:
            continue
        changed[doc_id] = doc
    removed = [ids.pop(key) for key in [k for k in ids if k not in wanted]]
    replace_docs(table, changed, removed)
    return bool(changed or removed)


def next_id(table: Table) -> int:
    """An id no document of the table has (TinyDB's own counter, so plain inserts agree with it)."""
    # TinyDB's own id counter, shared with Table.insert (TinyDB leaves it untyped).
    return int(table._get_next_id())  # type: ignore[no-untyped-call]  # noqa: SLF001
