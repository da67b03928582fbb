"""A data directory of the one-file layout becomes one store per office, once, at start (stage 2).

Before: `store/hot.json` (every office's open tickets, outbox, mailboxes, in-flight mail...) and
`store/archive/YYYY-MM.json` (every office's closed tickets). After: `store/<code>/hot.json` and
`store/<code>/archive/YYYY-MM.json` per office (tickets.office), the old files kept aside in
`store/migrated-<date>/`. The sent journal and the spool stay where they are.

A kill at any instant loses and duplicates nothing, because each step can be redone:
  1. every office's new files are written under `store/migrating/` (synced), then the marker
     `migrating/DONE` naming the folder the old files go to; a start that finds `migrating/`
     without the marker throws it away and begins again from the untouched old files;
  2. each office's folder is renamed into `store/` (a rename is atomic: an office is there whole
     or not at all); a start that finds the marker goes on with the offices not moved yet;
  3. the old archive, then the old hot file, are renamed aside: without `store/hot.json` the
     migration is over, and a leftover `migrating/` (the marker alone) is removed.
"""

from __future__ import annotations

import logging
import os
import shutil
from collections import defaultdict
from datetime import date
from pathlib import Path
from typing import Any

from .. import faults
from ..errors import StoreCorrupt
from . import officemeta
from .archive import Archive, docs
from .atomic import fsync_dir, read_json, write_atomic
from .officemeta import OfficeMeta
from .tinystore import dumps

log = logging.getLogger(__name__)
STAGING, MARKER = "migrating", "DONE"
# Tables of the old hot file split by office: each record names its office in its "office" field.
OFFICE_TABLES = ("tickets", "outbox", "mailboxes", "inflight", "quarantine", "not_ticketed")


def migrate(store_dir: Path, today: date) -> bool:
    """Move a one-file store to per-office stores; True if this start did (or finished) it."""
    old, staging = store_dir / "hot.json", store_dir / STAGING
    if not old.exists():
        if staging.exists():
            shutil.rmtree(staging)  # the old files were set aside: only the marker was left
        return False
    marker = staging / MARKER
    if not marker.exists():
        if staging.exists():
            log.warning("an interrupted migration of %s is begun again", store_dir)
            shutil.rmtree(staging)
        _stage(store_dir, staging, today)
    aside = store_dir / marker.read_text().strip()
    moved = _move_offices(store_dir, staging)
    _set_aside(store_dir, aside)
    shutil.rmtree(staging)
    log.warning(
        "store migrated to one store per office (%s); the old files are kept in %s",
        ", ".join(moved) or "the rest of the offices",
        aside,
    )
    return True


def _stage(store_dir: Path, staging: Path, today: date) -> None:
    hot = read_json(store_dir / "hot.json")
    if not isinstance(hot, dict) or "1" not in hot.get("meta", {}):
        raise StoreCorrupt(f"{store_dir / 'hot.json'}: no meta table (ticket counters); nothing migrated")
    offices = split_hot(hot)
    months: dict[str, dict[str, list[dict[str, Any]]]] = defaultdict(dict)  # office -> month -> docs
    for path in sorted((store_dir / "archive").glob("*.json")):
        for doc in docs(path):
            months[doc["office"]].setdefault(path.name, []).append(doc)
    codes = sorted(set(offices) | set(months))
    for code in codes:
        if (store_dir / code).exists():
            raise StoreCorrupt(f"{store_dir}: both hot.json and {code}/ exist; which one is right is for a human")
    for i, code in enumerate(codes):
        folder = staging / code
        tables = offices.get(code) or split_hot(hot, [code])[code]
        write_atomic(folder / "hot.json", dumps(tables).encode())
        for name, month_docs in months.get(code, {}).items():
            month = folder / "archive" / name
            write_atomic(month, dumps({"tickets": _numbered(month_docs)}).encode())
            Archive._write_month_index(month, month_docs)  # noqa: SLF001 - the index beside it
        if i == 0:
            faults.failpoint("migration_staged")
    write_atomic(staging / MARKER, _aside_name(store_dir, today).encode())


def split_hot(hot: dict[str, Any], codes: list[str] | None = None) -> dict[str, dict[str, Any]]:
    """The one-file hot data as TinyDB tables per office. The meta table is read as the typed
    store reads it (officemeta.from_doc): what carries no office is dropped (a day's counts)."""
    records: dict[str, dict[str, list[dict[str, Any]]]] = defaultdict(lambda: defaultdict(list))
    for table in OFFICE_TABLES:
        for doc in hot.get(table, {}).values():
            records[doc["office"]][table].append(doc)
    metas = officemeta.from_doc(hot.get("meta", {}).get("1", {}))
    result = {}
    for code in codes or sorted(set(records) | set(metas)):
        tables = {table: _numbered(records[code][table]) for table in OFFICE_TABLES}
        tables["meta"] = {"1": officemeta.to_doc({code: metas.get(code) or OfficeMeta()})}
        result[code] = tables
    return result


def _numbered(records: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {str(i): doc for i, doc in enumerate(records, start=1)}


def _aside_name(store_dir: Path, today: date) -> str:
    name, n = f"migrated-{today.isoformat()}", 1
    while (store_dir / name).exists():
        n += 1
        name = f"migrated-{today.isoformat()}.{n}"
    return name


def _move_offices(store_dir: Path, staging: Path) -> list[str]:
    moved = []
    for folder in sorted(p for p in staging.iterdir() if p.is_dir()):
        os.rename(folder, store_dir / folder.name)
        fsync_dir(store_dir)
        moved.append(folder.name)
        faults.failpoint("migration_moving")
    return moved


def _set_aside(store_dir: Path, aside: Path) -> None:
    aside.mkdir(exist_ok=True)
    if (store_dir / "archive").exists():
        os.rename(store_dir / "archive", aside / "archive")
    fsync_dir(store_dir)
    faults.failpoint("migration_aside")
    os.rename(store_dir / "hot.json", aside / "hot.json")
    fsync_dir(aside)
    fsync_dir(store_dir)
