"""Mail of no working office, and which broken office stores were reported (stage 2).

`store/daemon.json` is a TinyDB database beside the offices' folders: its `outbox` table holds
mail that cannot wait in its office's outbox because that office's store cannot be read (the
notice telling its supervisors so), its `told` table the broken files already reported (office
code -> the file's size and time), so that a `run --once` every minute tells them once, and tells
them again only when the file broke again after a repair.
"""

from __future__ import annotations

from pathlib import Path

from ..model import OutgoingMail
from .tinystore import open_db, sync_table


class DaemonStore:
    """The daemon's own small store; written by the commit of the Store that holds it."""

    def __init__(self, store_dir: Path) -> None:
        self.db, self.storage = open_db(store_dir / "daemon.json")
        self.outbox: dict[str, OutgoingMail] = {}
        self.told: dict[str, str] = {}  # office -> the broken file's fingerprint, as reported
        self.unwritten = False  # the last write failed: the next commit writes again
        self._ids: dict[str, dict[str, int]] = {"outbox": {}, "told": {}}
        for doc in self.db.table("outbox"):
            mail = OutgoingMail.from_dict(dict(doc))
            self.outbox[mail.message_id] = mail
            self._ids["outbox"][mail.message_id] = doc.doc_id
        for doc in self.db.table("told"):
            self.told[doc["office"]] = doc["file"]
            self._ids["told"][doc["office"]] = doc.doc_id

    def commit(self) -> None:
        """One atomic write, only when something changed (most commits change nothing here)."""
        changed = sync_table(
            self.db.table("outbox"), self._ids["outbox"], {mid: m.to_dict() for mid, m in self.outbox.items()}
        )
        changed |= sync_table(
            self.db.table("told"), self._ids["told"], {k: {"office": k, "file": v} for k, v in self.told.items()}
        )
        if changed or self.unwritten:
            self.unwritten = True
            self.storage.flush()
            self.unwritten = False
