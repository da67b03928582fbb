"""Raw mail and attachment bytes on disk under generated names, never the sender's (stage 2)."""

from __future__ import annotations

import hashlib
import os
from datetime import datetime
from pathlib import Path

from .atomic import write_atomic, write_many_atomic


class Spool:
    """Content-addressed files: `in/YYYY/MM/<hash>.eml`, `out/...`, `att/<hash>`, `quarantine/`."""

    def __init__(self, data_dir: Path) -> None:
        self.root = Path(data_dir) / "spool"

    def put_inbound(self, raw: bytes, received_at: datetime) -> str:
        """Store a raw inbound message durably; returns its spool-relative path."""
        digest = hashlib.sha256(raw).hexdigest()[:40]
        rel = f"in/{received_at:%Y/%m}/{digest}.eml"
        path = self.root / rel
        if not path.exists():
            write_atomic(path, raw)
        return rel

    def put_inbound_batch(self, mails: list[tuple[bytes, datetime]]) -> list[str]:
        """`put_inbound` for a fetched batch: the same files, synced in one pass; returns their paths."""
        rels, todo, planned = [], [], set()
        for raw, received_at in mails:
            digest = hashlib.sha256(raw).hexdigest()[:40]
            rel = f"in/{received_at:%Y/%m}/{digest}.eml"
            rels.append(rel)
            path = self.root / rel
            if rel not in planned and not path.exists():
                planned.add(rel)
                todo.append((path, raw))
        if todo:
            write_many_atomic(todo)
        return rels

    def put_attachment(self, payload: bytes) -> str:
        """Store attachment bytes under their hash; the sender's filename never becomes a path."""
        digest = hashlib.sha256(payload).hexdigest()[:40]
        rel = f"att/{digest[:2]}/{digest}"
        path = self.root / rel
        if not path.exists():
            write_atomic(path, payload)
        return rel

    def put_quarantine(self, key: str, raw: bytes) -> str:
        safe = hashlib.sha256(key.encode()).hexdigest()[:24]
        rel = f"quarantine/{safe}.eml"
        write_atomic(self.root / rel, raw)
        return rel

    def read(self, rel: str) -> bytes:
        path = (self.root / rel).resolve()
        if not str(path).startswith(str(self.root.resolve()) + os.sep):
            raise ValueError(f"spool path escapes the spool: {rel!r}")
        return path.read_bytes()
